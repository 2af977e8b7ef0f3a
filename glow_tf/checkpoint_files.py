"""A directory of checkpoints read with care: the newest one that can be read, the damaged ones named.

A torn copy, a partial sync or a disk that filled mid-write leaves a checkpoint whose data file is short or whose
index is missing or corrupt. TensorFlow then fails deep in the restore ("Read less bytes than requested") without
trying the older checkpoints beside it. Here every tensor of a candidate is read (TensorFlow checks each one's
checksum) before it is trusted; one that fails is stepped over, loudly, for the next older one.
"""

import glob
import os
import re

import tensorflow as tf
from google.protobuf import text_format
from tensorflow.python.training.checkpoint_state_pb2 import CheckpointState  # The state file's format.

# Where a training run moves the checkpoints it cannot read: beside the others, never deleted.
DAMAGED_DIR = "damaged"
_STATE_FILE = "checkpoint"  # TensorFlow's list of a directory's checkpoints, newest named first.
_ERRORS = (tf.errors.OpError, IndexError, ValueError, OSError)


class UnreadableCheckpoints(OSError):
  """A directory holds checkpoints, and none of them can be read."""

  def __init__(self, message, damaged):
    super().__init__(message)
    self.damaged = damaged

  def __str__(self):
    return self.args[0]


def damage(path):
  """Why the checkpoint `path` (a prefix such as `.../ckpt-40`) cannot be read, or None if every tensor reads."""
  if not os.path.exists(f"{path}.index"):
    return "its index file is missing"
  try:
    reader = tf.train.load_checkpoint(path)
    for name in reader.get_variable_to_dtype_map():
      reader.get_tensor(name)
  except _ERRORS as error:
    message = (getattr(error, "message", None) or str(error) or type(error).__name__).strip().splitlines()[0]
    return f"{type(error).__name__}: {message}"
  return None


def candidates(directory):
  """The checkpoints in `directory`, newest (highest step) first: those its state file lists and any whose
  index or data files are there, so that a lost state file or index hides none."""
  paths = set()
  try:
    state = tf.train.get_checkpoint_state(directory)
  except _ERRORS:
    state = None
  if state is not None:
    paths.update(_absolute(directory, path) for path in state.all_model_checkpoint_paths)
    paths.add(_absolute(directory, state.model_checkpoint_path))
  for file in glob.glob(os.path.join(glob.escape(directory), "*.index")):
    paths.add(file[:-len(".index")])
  for file in glob.glob(os.path.join(glob.escape(directory), "*.data-*")):
    paths.add(file[:file.rindex(".data-")])
  return sorted((path for path in paths if path and step_of(path) is not None), key=step_of, reverse=True)


def newest_readable(directory):
  """The newest checkpoint in `directory` that reads whole, or None if there is none at all.

  Reading leaves the files as they are: the run that owns the directory moves the damaged ones away with
  `set_aside`.

  Returns:
    (path or None, [(damaged path, reason), ...] newest first).

  Raises:
    UnreadableCheckpoints: there are checkpoints and none can be read (its `damaged` lists them).
  """
  found = candidates(directory)
  damaged = []
  for path in found:
    reason = damage(path)
    if reason is None:
      return path, damaged
    damaged.append((path, reason))
  if not found:
    return None, []
  listing = "\n".join(f"  {path}: {reason}" for path, reason in damaged)
  raise UnreadableCheckpoints(
      f"None of the {len(found)} checkpoints in {directory} can be read:\n{listing}\nRestore them from a copy, or "
      f"move them away (or use another directory) to start over.", damaged)


def set_aside(directory, damaged, latest):
  """Moves the `damaged` checkpoints (as `newest_readable` lists them) to `<directory>/damaged/`, never deleting
  anything, and rewrites the state file with `latest` as the latest, so that TensorFlow's CheckpointManager and
  later runs never list them again."""
  if not damaged:
    return
  aside = os.path.join(directory, DAMAGED_DIR)
  for path, _ in damaged:
    _move(path, aside)
  _rewrite_state(directory, latest)


def _rewrite_state(directory, latest):
  """The state file, naming `latest` (None: no state file) and the checkpoints still here, each with the time
  it was saved, as CheckpointManager writes it: it reads the times back to decide which ones to delete."""
  state_file = os.path.join(directory, _STATE_FILE)
  try:
    old = tf.train.get_checkpoint_state(directory)
  except _ERRORS:
    old = None
  if latest is None:
    if os.path.exists(state_file):
      os.replace(state_file, _free_name(os.path.join(directory, DAMAGED_DIR), _STATE_FILE))
    return
  times = dict(zip(old.all_model_checkpoint_paths, old.all_model_checkpoint_timestamps)) if old else {}
  kept = sorted((path for path in candidates(directory) if os.path.exists(f"{path}.index")), key=step_of)
  state = CheckpointState(
      model_checkpoint_path=os.path.basename(latest),
      all_model_checkpoint_paths=[os.path.basename(path) for path in kept],
      all_model_checkpoint_timestamps=[times.get(path, os.path.getmtime(f"{path}.index")) for path in kept],
      last_preserved_timestamp=old.last_preserved_timestamp if old else 0.0)
  temporary = f"{state_file}.tmp"
  with open(temporary, "w") as f:
    f.write(text_format.MessageToString(state))
  os.replace(temporary, state_file)  # Atomic: a reader sees the old state or the new one.


def _move(path, aside):
  os.makedirs(aside, exist_ok=True)
  for file in glob.glob(f"{glob.escape(path)}.*"):
    os.replace(file, _free_name(aside, os.path.basename(file)))


def _free_name(directory, name):
  """`directory/name`, or `name.1`, `name.2`, ... if the same file was set aside before (the same step damaged
  again in a later run): both are kept."""
  target, suffix = os.path.join(directory, name), 0
  while os.path.exists(target):
    suffix += 1
    target = os.path.join(directory, f"{name}.{suffix}")
  return target


def _absolute(directory, path):
  return path if not path or os.path.isabs(path) else os.path.join(directory, path)


def step_of(path):
  """The step a checkpoint was saved at, from its name (`ckpt-40`: 40), or None for another name."""
  match = re.search(r"-(\d+)$", path)
  return int(match.group(1)) if match else None
