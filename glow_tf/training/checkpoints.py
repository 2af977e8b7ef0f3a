"""A run's checkpoints: restored by every worker, saved by every worker, kept by the chief alone."""

import os
import shutil

import tensorflow as tf

from glow_tf import checkpoint_files, run_layout


class CheckpointWriteError(OSError):
  """A checkpoint could not be written (a full disk, permissions); the previous one is intact."""


class RunCheckpoints:
  """`<model_dir>/checkpoints` (or another `directory`), with TF's multi-worker pattern for saving.

  Under MultiWorkerMirroredStrategy a save is a collective that every worker must join. The chief saves
  into the run's directory; every other worker saves into a temporary directory of its own beside it and
  removes it, so the run's directory holds one copy. With one worker, that worker is the chief.
  """

  def __init__(self, checkpoint, model_dir, role, max_to_keep=3, directory=None):
    self.directory = directory or run_layout.checkpoints_dir(model_dir)
    self._checkpoint = checkpoint
    self._max_to_keep = max_to_keep
    self._kept = self._manager()
    self._role = role

  def restore(self, chiefs_number=None, log=print):
    """Restores the newest readable checkpoint in the run's directory, if there is one; returns its path, or None.

    The chief steps over damaged checkpoints newest first, moves them to `checkpoints/damaged/` and says how
    many steps that loses (`checkpoint_files`). With several workers the others take the chief's choice
    through `chiefs_number(value)`, a collective that gives every worker the chief's `value`, so that all resume
    from the same step.

    Raises:
      checkpoint_files.UnreadableCheckpoints: there are checkpoints and none can be read (on every worker).
    """
    step = -1  # What the chief reports when it found checkpoints and none can be read.
    if self._role.is_chief:
      try:
        path, damaged = checkpoint_files.newest_readable(self.directory)
      except checkpoint_files.UnreadableCheckpoints as error:
        unreadable = error
      else:
        unreadable = None
        step = checkpoint_files.step_of(path) if path else 0
        if damaged:
          checkpoint_files.set_aside(self.directory, damaged, path)
          self._kept = self._manager()
          aside = os.path.join(self.directory, checkpoint_files.DAMAGED_DIR)
          for bad, reason in damaged:
            log(f"Checkpoint {bad} cannot be read ({reason}); set aside in {aside}.")
          log(f"The newest readable checkpoint, {path}, is {checkpoint_files.step_of(damaged[0][0]) - step} steps "
              f"older: those steps are lost.")
      if self._role.count > 1:
        chiefs_number(step)
      if unreadable:
        raise unreadable
    else:
      step = int(chiefs_number(0))
      if step < 0:
        raise checkpoint_files.UnreadableCheckpoints(
            f"The chief found no readable checkpoint in {self.directory}; see its log.", [])
      path = os.path.join(self.directory, f"ckpt-{step}") if step else None
    if path:
      self._checkpoint.restore(path)
    return path

  def _manager(self):
    # Made again after damaged checkpoints are set aside: it reads the directory's state file once.
    return tf.train.CheckpointManager(self._checkpoint, self.directory, max_to_keep=self._max_to_keep)

  @property
  def latest(self):
    """The latest complete checkpoint in the run's directory, as this worker sees it now (the chief may be
    finishing a newer one)."""
    return tf.train.latest_checkpoint(self.directory)

  def save(self, step):
    """Saves the state at `step` (every worker calls this at the same step); returns the kept checkpoint's path.

    Raises:
      CheckpointWriteError: it could not be written; the directory's latest checkpoint is still the previous one.
    """
    try:
      if self._role.is_chief:
        return self._kept.save(checkpoint_number=step)
      temporary = os.path.join(self.directory, f"workertemp_{self._role.index}")
      try:
        tf.train.CheckpointManager(self._checkpoint, temporary, max_to_keep=1).save(checkpoint_number=step)
      finally:
        shutil.rmtree(temporary, ignore_errors=True)
      return os.path.join(self.directory, f"ckpt-{step}")
    except (OSError, tf.errors.OpError) as error:
      # What TensorFlow was writing when it failed: the state file never named it, and the space is wanted back.
      shutil.rmtree(os.path.join(self.directory, f"ckpt-{step}_temp"), ignore_errors=True)
      reason = os.strerror(error.errno) if isinstance(error, OSError) and error.errno else _first_line(error)
      raise CheckpointWriteError(
          f"Could not write the checkpoint of step {step} in {self.directory}: {reason}.") from None


def _first_line(error):
  message = getattr(error, "message", None) or str(error)
  # TensorFlow's own: "{{function_node ...}} <path>; No space left on device [Op:SaveV2]".
  return message.strip().splitlines()[0].split("; ")[-1].split(" [Op:")[0]
