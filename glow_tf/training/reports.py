"""What a run reports besides its checkpoints: TensorBoard scalars, test-set evaluations (which keep the best model)
and sample grids.

Under MultiWorkerMirroredStrategy only the chief writes events and grids; every worker scores the test set,
since all must agree on whether to join the best model's save.
"""

import tensorflow as tf

from glow_tf import run_layout
from glow_tf.sampling import SampleGrids, grid_labels
from glow_tf.scoring import evaluate_bits_per_dim


class Reports:
  """A run's TensorBoard events, evaluations and sample grids.

  Args:
    trainer: the run's `Trainer`.
    role: this worker's `WorkerRole`.
    run_data: the run's `RunData`, for the test split and the grids' labels.
    best: the run's `BestModel`, offered every evaluation.
    log: where messages go.
  """

  def __init__(self, trainer, role, run_data, best, log):
    self._trainer, self._role, self._data, self._best, self._log = trainer, role, run_data, best, log
    self._model_dir = trainer.train_config.model_dir
    self._writer = (tf.summary.create_file_writer(run_layout.logs_dir(self._model_dir)) if role.is_chief
                    else tf.summary.create_noop_writer())
    self._grids = SampleGrids(trainer.glow)
    self.test_bits_per_dim, self.evaluated_step = None, None

  def scalars(self, step, metrics, images_per_second):
    with self._writer.as_default(step=step):
      tf.summary.scalar("train/bits_per_dim", metrics["bits_per_dim"])
      tf.summary.scalar("train/gradient_norm", metrics["gradient_norm"])
      tf.summary.scalar("train/learning_rate", self._trainer.learning_rate())
      tf.summary.scalar("train/images_per_second", images_per_second)
      tf.summary.scalar("train/skipped_steps", self._trainer.skipped_steps)

  def evaluate(self, step):
    """Scores the test split with the weights' average and keeps the model if it is the best so far."""
    tc = self._trainer.train_config
    with self._trainer.averaged_weights():
      mean, standard_error, count = evaluate_bits_per_dim(
          self._trainer.glow, self._data.test_batches(), tc.conditional, max_batches=tc.eval_batches)
      if self._role.count > 1:
        mean = self._trainer.agreed(mean)
      self.test_bits_per_dim, self.evaluated_step = mean, step
      improved = self._best.offer(step, mean)
    if not self._role.is_chief:
      return
    with self._writer.as_default(step=step):
      tf.summary.scalar("test/bits_per_dim", mean)
    self._log(f"step {step}: test bits/dim {mean:.4f} ± {standard_error:.4f} ({count} images)"
              f"{', the best so far' if improved else ''}")

  def samples(self, step):
    """One grid per temperature, drawn with the weights' average, as PNGs and TensorBoard images."""
    if not self._role.is_chief:
      return
    tc = self._trainer.train_config
    labels, columns, titles = grid_labels(self._trainer.glow_config, tc.num_samples, self._data.test_attribute_vectors)
    with self._trainer.averaged_weights():
      written = self._grids.write(
          run_layout.samples_dir(self._model_dir), f"step{step:07d}", tc.temperatures, tc.num_samples,
          labels=labels, seed=(tc.seed, 0), columns=columns, column_titles=titles)
    with self._writer.as_default(step=step):
      for grid in written:
        tf.summary.image(f"samples/T={grid.temperature:g}", grid.image[None])
    for grid in written:
      if grid.nonfinite:
        self._log(f"step {step}: {grid.nonfinite} of {tc.num_samples} samples at T={grid.temperature:g} were "
                  f"not finite (NaN or inf), drawn black in {grid.path}")
