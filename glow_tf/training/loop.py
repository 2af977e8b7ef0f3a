"""`train`: the whole run, from a dataset name to checkpoints, TensorBoard logs and sample grids."""

import dataclasses
import os
import sys
import time

import tensorflow as tf
import tqdm

from glow_tf import data
from glow_tf.evaluation import evaluate_bits_per_dim
from glow_tf.sampling import SampleGrids
from glow_tf.training import run_directory
from glow_tf.training.strategy import make_strategy
from glow_tf.training.trainer import Trainer


class TrainingDiverged(RuntimeError):
  """Too many consecutive steps had a non-finite loss or gradient."""


class CheckpointWriteError(OSError):
  """A checkpoint could not be written (disk full, permissions); the previous one is intact."""


@dataclasses.dataclass
class TrainResult:
  step: int
  train_bits_per_dim: float
  test_bits_per_dim: float | None
  skipped_steps: int
  checkpoint: str
  samples_dir: str
  logs_dir: str


def train(glow_config, train_config, strategy=None, log=print, train_batches=None, test_batches=None):
  """Trains (or resumes training of) a Glow model in `train_config.model_dir`; returns a `TrainResult`.

  Args:
    glow_config: the architecture.
    train_config: the run.
    strategy: a `tf.distribute.Strategy`; by default the one `train_config.strategy` names.
    log: where progress messages go.
    train_batches, test_batches: your own `tf.data.Dataset`s of batched model-space images (with labels
      when `train_config.conditional`), instead of `train_config.dataset`'s; the training batches repeat,
      and the first one also initialises ActNorm.
  """
  model_dir = train_config.model_dir
  run_directory.prepare(model_dir, glow_config, train_config)
  strategy = strategy or make_strategy(train_config.strategy)
  trainer = Trainer(glow_config, train_config, strategy)
  # Each (re)start draws its data-order seed from here; checkpointed, so a resumed run is reproducible.
  data_rng = tf.random.Generator.from_seed(train_config.seed)
  manager = run_directory.checkpoint_manager(trainer.checkpoint(data_rng=data_rng), model_dir)
  if manager.restore_or_initialize():
    log(f"Resuming from {manager.latest_checkpoint} at step {int(trainer.step)}.")
  run = _Run(trainer, manager, data_rng, log, {"train": train_batches, "test": test_batches})
  return run.train()


class _Run:
  """The state of one invocation of `train`: data, writers and progress."""

  def __init__(self, trainer, manager, data_rng, log, custom_batches):
    self.trainer, self.manager, self.log = trainer, manager, log
    self.custom_batches = custom_batches
    self.config, self.train_config = trainer.glow_config, trainer.train_config
    self.model_dir = self.train_config.model_dir
    self.data_seed = int(data_rng.uniform_full_int([], tf.int32))
    self.writer = tf.summary.create_file_writer(run_directory.logs_dir(self.model_dir))
    self.grids = SampleGrids(trainer.glow)
    self.test_bits_per_dim = None

  def _pipeline(self, split, batch_size, training):
    if self.custom_batches[split] is not None:
      return self.custom_batches[split]
    tc = self.train_config
    return data.make_pipeline(
        tc.dataset, self.config, split=split, batch_size=batch_size, training=training, seed=self.data_seed,
        data_dir=tc.data_dir, with_labels=tc.conditional)

  def train(self):
    trainer, tc = self.trainer, self.train_config
    start = int(trainer.step)
    if start < tc.steps:
      if not bool(trainer.initialized.numpy()):
        trainer.initialize(next(iter(self._pipeline("train", tc.init_batch_size, training=True))))
      train_bpd = self._loop(start)
    else:
      self.log(f"{self.model_dir} has already trained for {start} of {tc.steps} steps.")
      train_bpd = float("nan")
    step = int(trainer.step)
    if self.manager.latest_checkpoint is None or not self.manager.latest_checkpoint.endswith(f"-{step}"):
      self._save()
    if tc.eval_every:
      self._evaluate(step)
    if tc.sample_every:
      self._write_samples(step)
    result = TrainResult(
        step=step, train_bits_per_dim=train_bpd, test_bits_per_dim=self.test_bits_per_dim,
        skipped_steps=int(trainer.skipped_steps), checkpoint=self.manager.latest_checkpoint,
        samples_dir=run_directory.samples_dir(self.model_dir), logs_dir=run_directory.logs_dir(self.model_dir))
    self.log(f"Checkpoint: {result.checkpoint}\nSamples: {result.samples_dir}\n"
             f"TensorBoard: tensorboard --logdir {result.logs_dir}")
    return result

  def _loop(self, start):
    trainer, tc = self.trainer, self.train_config
    batches = trainer.strategy.experimental_distribute_dataset(self._pipeline("train", tc.batch_size, True))
    # Redirected to a file, a bar redrawn ten times a second would bury everything else.
    progress = tqdm.tqdm(total=tc.steps, initial=start, unit="step", desc="train", dynamic_ncols=True,
                         mininterval=0.1 if sys.stderr.isatty() else 30)
    consecutive_nonfinite, bpd, last_time = 0, float("nan"), time.perf_counter()
    try:
      for batch in batches:
        metrics = trainer.train_step(batch)
        step = int(trainer.step)
        now = time.perf_counter()
        images_per_second, last_time = tc.batch_size / (now - last_time), now
        progress.update(1)
        if bool(metrics["finite"]):
          consecutive_nonfinite, bpd = 0, float(metrics["bits_per_dim"])
        else:
          consecutive_nonfinite += 1
          if consecutive_nonfinite >= tc.max_nonfinite_steps:
            latest = self.manager.latest_checkpoint
            kept = f"The last checkpoint, {latest}, is intact." if latest else "No checkpoint had been written."
            raise TrainingDiverged(
                f"{consecutive_nonfinite} consecutive steps up to step {step} had a non-finite loss or gradient; "
                f"stopped. {kept} Try a lower --learning_rate, a longer --warmup_steps or --clip_gradient_norm, "
                f"and check the data.")
        if step % tc.log_every == 0 or step == tc.steps:
          progress.set_postfix(bpd=f"{bpd:.3f}", img_s=f"{images_per_second:.0f}", refresh=False)
          self._log_scalars(step, metrics, images_per_second)
        # Never checkpoint inside a non-finite streak: the weights that caused it may be the bad ones.
        if step % tc.checkpoint_every == 0 and not consecutive_nonfinite:
          self._save()
        if tc.eval_every and step % tc.eval_every == 0 and step < tc.steps:
          self._evaluate(step)
        if tc.sample_every and step % tc.sample_every == 0 and step < tc.steps:
          self._write_samples(step)
        if step >= tc.steps:
          break
    except KeyboardInterrupt:
      self._save()
      self.log(f"\nInterrupted; saved {self.manager.latest_checkpoint}. Run the same command to resume.")
      raise
    finally:
      progress.close()
    return bpd

  def _save(self):
    previous = self.manager.latest_checkpoint
    try:
      self.manager.save(checkpoint_number=int(self.trainer.step))
    except (OSError, tf.errors.OpError) as error:
      raise CheckpointWriteError(
          f"Could not write a checkpoint in {self.model_dir}: {getattr(error, 'message', None) or error}. The "
          f"previous checkpoint, {previous}, is intact: free some space (or fix permissions) and run the same "
          f"command to resume from it.") from None

  def _log_scalars(self, step, metrics, images_per_second):
    with self.writer.as_default(step=step):
      tf.summary.scalar("train/bits_per_dim", metrics["bits_per_dim"])
      tf.summary.scalar("train/gradient_norm", metrics["gradient_norm"])
      tf.summary.scalar("train/learning_rate", self.trainer.learning_rate())
      tf.summary.scalar("train/images_per_second", images_per_second)
      tf.summary.scalar("train/skipped_steps", self.trainer.skipped_steps)

  def _evaluate(self, step):
    tc = self.train_config
    mean, standard_error, count = evaluate_bits_per_dim(
        self.trainer.glow, self._pipeline("test", tc.batch_size, training=False), tc.conditional,
        max_batches=tc.eval_batches)
    self.test_bits_per_dim = mean
    with self.writer.as_default(step=step):
      tf.summary.scalar("test/bits_per_dim", mean)
    tqdm.tqdm.write(f"step {step}: test bits/dim {mean:.4f} ± {standard_error:.4f} ({count} images)")

  def _write_samples(self, step):
    tc = self.train_config
    labels, columns = self._sample_labels()
    written = self.grids.write(
        run_directory.samples_dir(self.model_dir), f"step{step:07d}", tc.temperatures, tc.num_samples,
        labels=labels, seed=(tc.seed, 0), columns=columns)
    with self.writer.as_default(step=step):
      for grid in written:
        tf.summary.image(f"samples/T={grid.temperature:g}", grid.image[None])
    for grid in written:
      if grid.nonfinite:
        tqdm.tqdm.write(f"step {step}: {grid.nonfinite} of {tc.num_samples} samples at T={grid.temperature:g} were "
                        f"not finite (NaN or inf), drawn black in {grid.path}")

  def _sample_labels(self):
    """Labels for conditional sample grids: one class per column, or the test set's attribute vectors."""
    tc, num_classes = self.train_config, self.config.num_classes
    if not tc.conditional:
      return None, None
    labels = self._pipeline("test", tc.num_samples, training=False).unbatch().batch(tc.num_samples)
    labels = tf.convert_to_tensor(labels.take(1).get_single_element()[1])
    if labels.dtype.is_integer:
      return tf.range(tc.num_samples, dtype=labels.dtype) % num_classes, num_classes
    return labels, None
