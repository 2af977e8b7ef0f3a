"""Checkpoints saved by every worker and kept by the chief alone (TF's multi-worker pattern)."""

import os

import tensorflow as tf

from glow_tf.training.checkpoints import RunCheckpoints
from glow_tf.training.strategy import WorkerRole


def test_the_chief_keeps_its_checkpoints_and_another_worker_leaves_nothing(tmp_path):
  value = tf.Variable(1.0)
  chief = RunCheckpoints(tf.train.Checkpoint(value=value), str(tmp_path), WorkerRole(0, 2), max_to_keep=2)
  other = RunCheckpoints(tf.train.Checkpoint(value=value), str(tmp_path), WorkerRole(1, 2), max_to_keep=2)
  # The collective that hands every worker the chief's number (the chief's step; -1 if it could read none).
  told = []
  as_chief = lambda step: told.append(step) or step
  from_chief = lambda _: told[-1]
  assert chief.restore(as_chief) is None and other.restore(from_chief) is None and told == [0]
  for step in (1, 2, 3):
    value.assign(float(step))
    assert chief.save(step) == other.save(step) == os.path.join(str(tmp_path), "checkpoints", f"ckpt-{step}")
  files = sorted(os.listdir(tmp_path / "checkpoints"))
  assert files == ["checkpoint", *(f"ckpt-{s}.{part}" for s in (2, 3) for part in ("data-00000-of-00001", "index"))]

  assert chief.restore(as_chief).endswith("ckpt-3") and told[-1] == 3
  value.assign(0.0)
  assert other.restore(from_chief).endswith("ckpt-3") and float(value) == 3.0  # Every worker restores the chief's.
  assert other.latest == chief.latest
