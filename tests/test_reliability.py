"""Faults a days-long run meets: poisoned data, exploding learning rates, full disks, kills."""

import errno
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import GlowConfig, checkpoint_files, run_layout
from glow_tf.training import TrainConfig, TrainingDiverged, WriteFailed, train
from tests.runs import checkpoint_step, latest_weights, restored_trainer
from tests.tiny_run import REPO

CONFIG = GlowConfig(image_shape=(4, 4, 1), levels=2, steps_per_level=2, hidden_channels=8)


def batches(poison_every=0, poison_from=None, value=np.nan, count=200):
  """Batches of 8 model-space images; some carry a NaN (or inf) pixel, as a broken custom dataset might."""
  rng = np.random.default_rng(0)
  images = rng.uniform(-0.5, 0.5, [count, 8, 4, 4, 1]).astype(np.float32)  # [batches, 8, H, W, C]
  for index in range(count):
    if (poison_every and index % poison_every == poison_every - 1) or (poison_from is not None and index >= poison_from):
      images[index, 0, 0, 0, 0] = value
  return tf.data.Dataset.from_tensor_slices(images)


def run_config(tmp_path, **fields):
  defaults = dict(model_dir=str(tmp_path / "run"), batch_size=8, steps=12, warmup_steps=0, checkpoint_every=2,
                  eval_every=0, sample_every=0, log_every=1)
  return TrainConfig(**{**defaults, **fields})


def quiet(_):
  pass


def test_poisoned_batches_are_skipped_counted_and_the_run_recovers(tmp_path):
  result = train(CONFIG, run_config(tmp_path), log=quiet, train_batches=batches(poison_every=3))
  assert result.step == 12 and result.skipped_steps == 4
  assert np.isfinite(result.train_bits_per_dim)
  step, weights = latest_weights(str(tmp_path / "run"))
  assert step == 12 and all(np.all(np.isfinite(w)) for w in weights)


def test_custom_training_batches_repeat_until_the_last_step(tmp_path):
  result = train(CONFIG, run_config(tmp_path, steps=12), log=quiet, train_batches=batches(count=5))
  assert result.step == 12 and result.stopped_by is None


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_a_dataset_gone_bad_stops_the_run_with_its_last_checkpoint_intact(tmp_path, value):
  config = run_config(tmp_path, steps=50, max_nonfinite_steps=4)
  with pytest.raises(TrainingDiverged, match="4 consecutive steps.*last checkpoint.*intact"):
    train(CONFIG, config, log=quiet, train_batches=batches(poison_from=5, value=value))
  step, weights = latest_weights(config.model_dir)
  assert step == 4  # The last checkpoint before the streak began at step 6.
  assert all(np.all(np.isfinite(w)) for w in weights)


def test_an_exploding_learning_rate_is_survived_or_stopped_cleanly(tmp_path):
  sane = run_config(tmp_path, steps=10, learning_rate=1e-3)
  train(CONFIG, sane, log=quiet, train_batches=batches())
  # Resumed with a learning rate seven orders of magnitude too high.
  config = run_config(tmp_path, steps=40, learning_rate=1e4, max_nonfinite_steps=5, optimizer="adam")
  try:
    result = train(CONFIG, config, log=quiet, train_batches=batches())
    assert result.step == 40
  except TrainingDiverged as error:
    assert "--learning_rate" in str(error) and "is intact" in str(error)
  step, weights = latest_weights(config.model_dir)
  assert 10 <= step <= 40 and all(np.all(np.isfinite(w)) for w in weights)
  trainer = restored_trainer(config.model_dir)
  assert np.all(np.isfinite(trainer.glow.log_prob(next(iter(batches()))).numpy()))


def test_a_full_disk_at_a_checkpoint_is_reported_and_the_previous_checkpoint_survives(tmp_path, monkeypatch):
  original = tf.train.CheckpointManager.save
  calls = []

  def save_until_the_disk_fills(manager, *args, **kwargs):
    calls.append(1)
    if len(calls) > 1:
      raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return original(manager, *args, **kwargs)

  monkeypatch.setattr(tf.train.CheckpointManager, "save", save_until_the_disk_fills)
  config = run_config(tmp_path)
  with pytest.raises(WriteFailed, match="step 4 .*No space left on device. The last complete checkpoint is .*ckpt-2"):
    train(CONFIG, config, log=quiet, train_batches=batches())
  monkeypatch.undo()
  step, _ = latest_weights(config.model_dir)
  assert step == 2


def test_an_unwritable_model_dir_is_refused_before_training(tmp_path):
  blocker = tmp_path / "a_file"
  blocker.write_text("not a directory")
  with pytest.raises(OSError, match="Cannot write to --model_dir"):
    train(CONFIG, run_config(tmp_path, model_dir=str(blocker / "run")), log=quiet, train_batches=batches())


@pytest.mark.slow
def test_repeated_sigkills_never_lose_a_checkpoint_or_go_back(tmp_path):
  model_dir = str(tmp_path / "run")
  flags = [f"--model_dir={model_dir}", "--levels=1", "--steps_per_level=2", "--hidden_channels=16",
           "--batch_size=16", "--init_batch_size=32", "--eval_every=0", "--sample_every=0", "--noexport"]
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  rng = random.Random(0)
  steps_seen = []
  # Kill as training starts (before the first checkpoint, or just after it), then with checkpoints written every
  # step (so kills land mid-write), then between sparse checkpoints. Each kill waits for its event, then a random
  # fraction of a second: a slower machine changes when the kills land, not what they test.
  kills = [(5, "start"), (1, "checkpoint"), (3, "checkpoint"), (7, "checkpoint")]
  for checkpoint_every, event in kills:
    before = checkpoint_step(model_dir)
    log = tmp_path / f"kill{len(steps_seen)}_{checkpoint_every}.err"
    with open(log, "w") as stderr:
      process = subprocess.Popen(
          [sys.executable, "train.py", "--steps=100000", f"--checkpoint_every={checkpoint_every}", *flags],
          cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
      if event == "start":  # The progress bar appears when the first step is taken.
        wait_for(lambda: "train:" in log.read_text(), process, "training never started")
      else:
        wait_for(lambda: checkpoint_step(model_dir) not in (None, before), process, "no new checkpoint appeared")
      time.sleep(rng.uniform(0, 1))
    finally:
      process.send_signal(signal.SIGKILL)
      process.wait()
    if checkpoint_step(model_dir) is None:
      assert not steps_seen, "a checkpoint disappeared"
      continue
    listed, weights = latest_weights(model_dir)
    assert all(np.all(np.isfinite(w)) for w in weights)
    # A kill between writing a checkpoint's files and listing it leaves a newer complete checkpoint than the list
    # says: a resumed run takes the newest readable one.
    step = checkpoint_files.step_of(checkpoint_files.newest_readable(run_layout.checkpoints_dir(model_dir))[0])
    assert step >= listed
    assert not steps_seen or step >= steps_seen[-1], f"the step went back: {steps_seen} then {step}"
    steps_seen.append(step)
  assert len(steps_seen) >= len(kills) - 1 and steps_seen[-1] > steps_seen[0]
  final = subprocess.run([sys.executable, "train.py", f"--steps={steps_seen[-1] + 2}", *flags], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300)
  assert final.returncode == 0, final.stderr[-3000:]
  assert f"at step {steps_seen[-1]}" in final.stdout
  print(f"\nkills survived: {len(kills)}, checkpoint steps after each: {steps_seen}")


def wait_for(condition, process, failure, timeout=300):
  """Polls `condition` until it holds; fails if `process` ends first or `timeout` seconds pass."""
  deadline = time.monotonic() + timeout
  while not condition():
    assert process.poll() is None, f"{failure}: train.py ended with {process.returncode}"
    assert time.monotonic() < deadline, failure
    time.sleep(0.1)


