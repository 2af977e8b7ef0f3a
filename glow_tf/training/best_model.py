"""The model with the best test bits/dim so far, kept apart from the run's latest checkpoints."""

import math

import tensorflow as tf

from glow_tf import checkpoint_files, run_layout
from glow_tf.run_layout import BestRecord, best_dir, best_record
from glow_tf.training.checkpoints import RunCheckpoints


class BestModel:
  """`<model_dir>/best`: one checkpoint of the model, the step and the test bits/dim it scored.

  The score lives inside the checkpoint it describes, so the two are written together and a run killed
  mid-save keeps the previous best whole. Saving follows `RunCheckpoints`: under MultiWorkerMirroredStrategy
  every worker calls `offer` with the same score, and only the chief's copy stays.
  """

  def __init__(self, glow, step, model_dir, role, log=print):
    self._bits = tf.Variable(float("inf"), dtype=tf.float64, trainable=False, name=run_layout.TEST_BITS_PER_DIM)
    self._model_dir = model_dir
    self._checkpoints = RunCheckpoints(
        run_layout.model_checkpoint(glow, **{run_layout.STEP: step, run_layout.TEST_BITS_PER_DIM: self._bits}),
        model_dir, role, max_to_keep=1, directory=best_dir(model_dir))
    self.record = _readable_record(best_dir(model_dir), role, log)

  def offer(self, step, test_bits_per_dim):
    """Keeps the model as it is at `step` if it scores better than the best so far; returns whether it did."""
    if not math.isfinite(test_bits_per_dim) or (
        self.record is not None and not test_bits_per_dim < self.record.test_bits_per_dim):
      return False
    self._bits.assign(test_bits_per_dim)
    path = self._checkpoints.save(step)
    self.record = BestRecord(path, step, float(test_bits_per_dim))
    return True


def _readable_record(directory, role, log):
  """The best model's record; a damaged best checkpoint is set aside (by the chief) and the run goes on without
  one: its next evaluation keeps a new best."""
  try:
    path, damaged = checkpoint_files.newest_readable(directory)
  except checkpoint_files.UnreadableCheckpoints as error:
    path, damaged = None, error.damaged
  if damaged and role.is_chief:
    checkpoint_files.set_aside(directory, damaged, path)
    then = f"Keeping {path}" if path else "The next evaluation keeps a new best"
    log(f"The best model's checkpoint {damaged[0][0]} cannot be read ({damaged[0][1]}); set aside in "
        f"{directory}/{checkpoint_files.DAMAGED_DIR}. {then}.")
  return best_record(path) if path else None
