"""The model with the best test bits/dim so far, kept apart from the run's latest checkpoints."""

import dataclasses
import math

import tensorflow as tf

from glow_tf.training import run_directory
from glow_tf.training.checkpoints import RunCheckpoints

# The names the record's variables have in the best checkpoint, read back without building a model.
_STEP_KEY = "step/.ATTRIBUTES/VARIABLE_VALUE"
_BITS_KEY = "test_bits_per_dim/.ATTRIBUTES/VARIABLE_VALUE"


@dataclasses.dataclass(frozen=True)
class BestRecord:
  """Where the best model is, the step it was trained to and its test bits/dim."""

  path: str
  step: int
  test_bits_per_dim: float


def read_best(model_dir):
  """The `BestRecord` of a run directory, or None if it has evaluated nothing yet."""
  path = tf.train.latest_checkpoint(run_directory.best_dir(model_dir))
  if path is None:
    return None
  reader = tf.train.load_checkpoint(path)
  return BestRecord(path, int(reader.get_tensor(_STEP_KEY)), float(reader.get_tensor(_BITS_KEY)))


class BestModel:
  """`<model_dir>/best`: one checkpoint of the model, the step and the test bits/dim it scored.

  The score lives inside the checkpoint it describes, so the two are written together and a run killed
  mid-save keeps the previous best whole. Saving follows `RunCheckpoints`: under MultiWorkerMirroredStrategy
  every worker calls `offer` with the same score, and only the chief's copy stays.
  """

  def __init__(self, glow, step, model_dir, role):
    self._bits = tf.Variable(float("inf"), dtype=tf.float64, trainable=False, name="test_bits_per_dim")
    self._model_dir = model_dir
    self._checkpoints = RunCheckpoints(
        tf.train.Checkpoint(model=glow, step=step, test_bits_per_dim=self._bits), model_dir, role, max_to_keep=1,
        directory=run_directory.best_dir(model_dir))
    self.record = read_best(model_dir)

  def offer(self, step, test_bits_per_dim):
    """Keeps the model as it is at `step` if it scores better than the best so far; returns whether it did."""
    if not math.isfinite(test_bits_per_dim) or (
        self.record is not None and not test_bits_per_dim < self.record.test_bits_per_dim):
      return False
    self._bits.assign(test_bits_per_dim)
    path = self._checkpoints.save(step)
    self.record = BestRecord(path, step, float(test_bits_per_dim))
    return True
