"""Damaged checkpoints (a torn copy, a partial sync, a disk that filled mid-write) are stepped over, never fatal."""

import glob
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import checkpoint_files
from glow_tf.loading import load_model
from glow_tf.checkpoint_files import UnreadableCheckpoints
from tests.tiny_run import SMALL_RUN_FLAGS, run_script


def saved_checkpoints(directory, steps):
  """A CheckpointManager's checkpoints at `steps`, each holding its step in `value`."""
  value = tf.Variable(0.0)
  manager = tf.train.CheckpointManager(tf.train.Checkpoint(value=value), directory, max_to_keep=None)
  for step in steps:
    value.assign(float(step))
    manager.save(checkpoint_number=step)
  return [os.path.join(directory, f"ckpt-{step}") for step in steps]


def truncate(path):
  (data,) = glob.glob(f"{path}.data-*")
  with open(data, "r+b") as f:
    f.truncate(os.path.getsize(data) // 2)


def flip_a_byte(path):
  (data,) = glob.glob(f"{path}.data-*")
  with open(data, "r+b") as f:
    f.seek(0)
    byte = f.read(1)
    f.seek(0)
    f.write(bytes([byte[0] ^ 0xFF]))


def files_in(directory):
  return sorted(os.listdir(directory))


@pytest.mark.parametrize("damage", [truncate, flip_a_byte, lambda path: os.remove(f"{path}.index")])
def test_the_newest_readable_checkpoint_is_found_and_the_damaged_ones_named(tmp_path, damage):
  directory = str(tmp_path)
  _, ckpt20, ckpt30 = saved_checkpoints(directory, [10, 20, 30])
  damage(ckpt30)
  before = files_in(directory)
  path, damaged = checkpoint_files.newest_readable(directory)
  assert path == ckpt20
  assert [bad for bad, _ in damaged] == [ckpt30] and damaged[0][1]
  assert files_in(directory) == before  # Reading moves nothing.


def test_the_reasons_say_what_is_wrong(tmp_path):
  ckpt10, ckpt20 = saved_checkpoints(str(tmp_path), [10, 20])
  truncate(ckpt20)
  os.remove(f"{ckpt10}.index")
  with pytest.raises(UnreadableCheckpoints) as raised:
    checkpoint_files.newest_readable(str(tmp_path))
  message = str(raised.value)
  assert "None of the 2 checkpoints" in message and "Read less bytes than requested" in message
  assert f"{ckpt10}: its index file is missing" in message
  assert [path for path, _ in raised.value.damaged] == [ckpt20, ckpt10]


def test_set_aside_moves_the_damaged_files_and_the_state_file_forgets_them(tmp_path):
  directory = str(tmp_path)
  _, ckpt20, ckpt30, ckpt40 = saved_checkpoints(directory, [10, 20, 30, 40])
  truncate(ckpt40)
  os.remove(f"{ckpt30}.index")
  path, damaged = checkpoint_files.newest_readable(directory)
  checkpoint_files.set_aside(directory, damaged, path)
  assert path == ckpt20 and tf.train.latest_checkpoint(directory) == ckpt20
  assert not glob.glob(f"{ckpt40}.*") and not glob.glob(f"{ckpt30}.*")
  aside = files_in(tmp_path / "damaged")
  assert "ckpt-40.index" in aside and "ckpt-40.data-00000-of-00001" in aside and "ckpt-30.data-00000-of-00001" in aside
  # TensorFlow's manager takes over from the rewritten state: it lists only readable checkpoints and saves on.
  value = tf.Variable(0.0)
  manager = tf.train.CheckpointManager(tf.train.Checkpoint(value=value), directory, max_to_keep=2)
  assert manager.checkpoints == [os.path.join(directory, "ckpt-10"), ckpt20]
  manager.save(checkpoint_number=30)
  assert checkpoint_files.newest_readable(directory) == (os.path.join(directory, "ckpt-30"), [])
  # The same step damaged again later: the earlier copy set aside stays.
  truncate(os.path.join(directory, "ckpt-30"))
  checkpoint_files.set_aside(directory, *checkpoint_files.newest_readable(directory)[::-1])
  assert "ckpt-30.data-00000-of-00001.1" in files_in(tmp_path / "damaged")


def test_a_lost_state_file_hides_no_checkpoint(tmp_path):
  ckpt10, ckpt20 = saved_checkpoints(str(tmp_path), [10, 20])
  os.remove(tmp_path / "checkpoint")
  assert checkpoint_files.newest_readable(str(tmp_path)) == (ckpt20, [])
  assert checkpoint_files.candidates(str(tmp_path)) == [ckpt20, ckpt10]


def test_an_empty_directory_has_no_checkpoint(tmp_path):
  assert checkpoint_files.newest_readable(str(tmp_path)) == (None, [])
  assert checkpoint_files.newest_readable(str(tmp_path / "missing")) == (None, [])


# The command a user reruns after the damage. Checkpoints every 20 steps; 20 steps of digits on the small model.
def train(model_dir, steps, *flags):
  return run_script("train.py", f"--model_dir={model_dir}", f"--steps={steps}", "--checkpoint_every=20",
                    "--eval_every=20", "--sample_every=0", "--noexport", *SMALL_RUN_FLAGS, *flags)


@pytest.fixture(scope="module")
def trained_to_40(tmp_path_factory):
  model_dir = str(tmp_path_factory.mktemp("damaged") / "run")
  result = train(model_dir, 40)
  assert result.returncode == 0, result.stderr[-3000:]
  return model_dir


def copy_of(run, tmp_path):
  return shutil.copytree(run, tmp_path / "run")


@pytest.mark.slow
@pytest.mark.parametrize("damage", [truncate, lambda path: os.remove(f"{path}.index")], ids=["truncated", "no_index"])
def test_train_py_resumes_from_the_previous_checkpoint_and_keeps_the_damaged_one(trained_to_40, tmp_path, damage):
  model_dir = str(copy_of(trained_to_40, tmp_path))
  checkpoints = os.path.join(model_dir, "checkpoints")
  damage(os.path.join(checkpoints, "ckpt-40"))
  # The evaluation-time loaders step over it too, leaving the files where they are.
  assert load_model(model_dir).step == 20
  result = train(model_dir, 60)
  assert result.returncode == 0, result.stderr[-3000:]
  assert f"Checkpoint {checkpoints}/ckpt-40 cannot be read (" in result.stdout
  assert f"The newest readable checkpoint, {checkpoints}/ckpt-20, is 20 steps older" in result.stdout
  assert f"Resuming from {checkpoints}/ckpt-20 at step 20." in result.stdout
  assert "Traceback" not in result.stderr
  assert glob.glob(os.path.join(checkpoints, "damaged", "ckpt-40.*"))
  assert load_model(model_dir).step == 60


@pytest.mark.slow
def test_a_damaged_best_model_is_set_aside_and_replaced(trained_to_40, tmp_path):
  model_dir = str(copy_of(trained_to_40, tmp_path))
  (best,) = checkpoint_files.candidates(os.path.join(model_dir, "best"))
  truncate(best)
  with pytest.raises(UnreadableCheckpoints, match="best"):
    load_model(model_dir, "best")
  evaluated = run_script("evaluate.py", f"--model_dir={model_dir}", "--checkpoint=best", "--mode=bpd")
  assert evaluated.returncode == 1 and "Traceback" not in evaluated.stderr
  assert "can be read" in evaluated.stderr
  result = train(model_dir, 60)
  assert result.returncode == 0, result.stderr[-3000:]
  assert "The best model's checkpoint" in result.stdout and "set aside" in result.stdout
  assert glob.glob(os.path.join(model_dir, "best", "damaged", "ckpt-*"))
  loaded = load_model(model_dir, "best")
  assert loaded.step == 60 and np.isfinite(loaded.test_bits_per_dim)


@pytest.mark.slow
def test_when_no_checkpoint_can_be_read_the_run_stops_with_a_list_and_touches_nothing(trained_to_40, tmp_path):
  model_dir = str(copy_of(trained_to_40, tmp_path))
  checkpoints = os.path.join(model_dir, "checkpoints")
  for path in checkpoint_files.candidates(checkpoints):
    truncate(path)
  before = files_in(checkpoints)
  result = train(model_dir, 60)
  assert result.returncode == 1 and "Traceback" not in result.stderr
  assert "None of the 2 checkpoints" in result.stderr and "ckpt-20" in result.stderr and "ckpt-40" in result.stderr
  assert files_in(checkpoints) == before
