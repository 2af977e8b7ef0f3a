"""A full disk stops a run cleanly (exit status 75, one message, no traceback) and loses no checkpoint."""

import errno
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import GlowConfig, disk_space
from glow_tf.export import export_saved_model
from glow_tf.training import TrainConfig, Trainer, WriteFailed, train
from tests.tiny_run import REPO, SMALL_RUN_FLAGS

EXIT_STOPPED = 75


def on_a_filesystem_that_fills(tmp_path, *flags):
  """tests/disk_full_run.py in a mount namespace of its own, so that its small tmpfs is nobody else's."""
  mount_point = tmp_path / "small_disk"
  mount_point.mkdir()
  unshare = ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "--map-root-user", "--mount"]
  result = subprocess.run([*unshare, sys.executable, os.path.join(REPO, "tests", "disk_full_run.py"), str(mount_point),
                           "--", *flags], capture_output=True, text=True, cwd=REPO, timeout=900)
  assert result.returncode == 0, result.stderr[-3000:]
  return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_disk_that_fills_mid_run_stops_it_with_exit_75_and_the_last_checkpoint_intact(tmp_path):
  report = on_a_filesystem_that_fills(tmp_path, "--checkpoint_every=5", "--eval_every=0", "--sample_every=0",
                                      *SMALL_RUN_FLAGS)
  full = report["full"]
  assert full["returncode"] == EXIT_STOPPED, full["stderr"][-3000:]
  assert "Traceback" not in full["stderr"]
  message = [line for line in full["stderr"].splitlines() if line.startswith("train.py:")]
  assert len(message) == 1 and "No space left on device" in message[0]
  assert f"The last complete checkpoint is {full['latest_before']}:" in message[0]
  # The half-written checkpoint is neither listed nor left behind; the listed one reads whole.
  assert full["latest_after"] == full["latest_before"] and full["latest_damage"] is None
  assert not [name for name in full["files"] if name.endswith("_temp")]
  resumed = report["resumed"]
  assert resumed["returncode"] == 0, resumed["stderr"][-3000:]
  assert f"Resuming from {full['latest_before']}" in resumed["stdout"]


CONFIG = GlowConfig(image_shape=(4, 4, 1), levels=1, steps_per_level=2, hidden_channels=8)


def no_space(*_, **__):
  # What TensorFlow's file system raises for ENOSPC.
  raise tf.errors.ResourceExhaustedError(None, None, f"/some/file; {os.strerror(errno.ENOSPC)}")


def batches():
  images = np.random.default_rng(0).uniform(-0.5, 0.5, [20, 8, 4, 4, 1]).astype(np.float32)
  return tf.data.Dataset.from_tensor_slices(images)


def test_a_sample_grid_that_finds_no_space_stops_the_run_naming_it_and_the_last_checkpoint(tmp_path, monkeypatch):
  monkeypatch.setattr(tf.io, "write_file", no_space)
  config = TrainConfig(model_dir=str(tmp_path / "run"), batch_size=8, steps=6, warmup_steps=0, checkpoint_every=2,
                       eval_every=0, sample_every=4, num_samples=4, log_every=1)
  with pytest.raises(WriteFailed) as raised:
    train(CONFIG, config, log=lambda _: None, train_batches=batches())
  message = str(raised.value)
  assert "Could not write" in message and "step0000004" in message and "No space left on device" in message
  assert "The last complete checkpoint is " in message and message.rstrip(".").count("ckpt-4")
  assert not [name for _, _, files in os.walk(tmp_path) for name in files if name.endswith(".tmp")]


def test_an_export_that_finds_no_space_leaves_no_version_for_tf_serving(tmp_path, monkeypatch):
  trainer = Trainer(CONFIG, TrainConfig(batch_size=8))
  trainer.initialize(next(iter(batches())))
  monkeypatch.setattr(tf.saved_model, "save", no_space)
  (tmp_path / "export").mkdir()
  with pytest.raises(OSError) as raised:
    export_saved_model(trainer.glow, str(tmp_path / "export"), 7)
  assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(tmp_path / "export" / "7")
  assert disk_space.out_of_space(raised.value)
  assert os.listdir(tmp_path / "export") == []  # Neither the version nor its staging directory.
