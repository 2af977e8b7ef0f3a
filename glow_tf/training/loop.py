"""`train`: the whole run, from a dataset name to checkpoints, TensorBoard logs and sample grids.

The same code runs under every `tf.distribute` strategy. Under MultiWorkerMirroredStrategy every worker runs
it: each reads its own shard of the training data, all take part in every step and every checkpoint save, and
only the chief writes config.json, TensorBoard events and sample grids.
"""

import dataclasses
import functools
import math
import re
import sys
import time

import tensorflow as tf
import tqdm

from glow_tf import disk_space
from glow_tf import run_layout
from glow_tf.training import run_directory
from glow_tf.training.best_model import BestModel
from glow_tf.training.checkpoints import CheckpointWriteError, RunCheckpoints
from glow_tf.training.reports import Reports
from glow_tf.training.run_data import RunData
from glow_tf.training.stop_signals import StopSignals
from glow_tf.training.strategy import make_strategy, worker_role
from glow_tf.training.trainer import Trainer

# What a collective raises when a peer worker died or stopped answering.
_LOST_PEER_ERRORS = (tf.errors.UnavailableError, tf.errors.DeadlineExceededError, tf.errors.AbortedError,
                     tf.errors.CancelledError)


class TrainingDiverged(RuntimeError):
  """Too many consecutive steps had a non-finite loss or gradient."""


class WriteFailed(OSError):
  """A checkpoint, the best model or a sample grid could not be written (a full disk, permissions). The run
  stopped there; its last complete checkpoint is intact, and the same command resumes from it."""


class WorkerLost(RuntimeError):
  """Another worker of a multi-worker run died or stopped answering; restarting every worker resumes the run."""


@dataclasses.dataclass
class TrainResult:
  """What a call to `train` did.

  `stopped_by` names the signal that interrupted it, after a checkpoint; `stopped_early` says that `patience`
  ended it. `best_*` describe the checkpoint with the best test bits/dim of all the run's evaluations.
  """

  step: int
  train_bits_per_dim: float
  test_bits_per_dim: float | None
  skipped_steps: int
  checkpoint: str
  samples_dir: str
  logs_dir: str
  stopped_by: str | None = None
  stopped_early: bool = False
  best_step: int | None = None
  best_test_bits_per_dim: float | None = None
  best_checkpoint: str | None = None


@dataclasses.dataclass
class Progress:
  """Where a run is, for `train`'s `on_step`: the step, its training bits/dim, the latest evaluation's test bits/dim
  and its step (None before the first), the non-finite steps skipped so far and the model (its raw weights)."""

  step: int
  train_bits_per_dim: float
  test_bits_per_dim: float | None
  evaluated_step: int | None
  skipped_steps: int
  glow: object


def check_batch_divides(train_config, strategy):
  """Refuses a global batch that the strategy's replicas cannot share equally."""
  replicas = strategy.num_replicas_in_sync
  if train_config.batch_size % replicas:
    role = worker_role(strategy)
    where = f"{role.count} workers x {replicas // role.count} devices" if role.count > 1 else "devices"
    multiple = math.ceil(train_config.batch_size / replicas) * replicas
    raise ValueError(
        f"batch_size {train_config.batch_size} (the global batch) does not split over the {replicas} replicas "
        f"({where}); use a multiple of {replicas}, e.g. {multiple}.")


def train(glow_config, train_config, strategy=None, log=print, train_batches=None, test_batches=None, on_step=None):
  """Trains (or resumes training of) a Glow model in `train_config.model_dir`; returns a `TrainResult`.

  SIGINT (Ctrl-C) and SIGTERM stop the run within two steps (the request travels with the next step's
  all-reduce and is read back a step later), on every worker, with a checkpoint at the step reached; the
  result's `stopped_by` says so. A second Ctrl-C stops at once.

  Args:
    glow_config: the architecture.
    train_config: the run.
    strategy: a `tf.distribute.Strategy`; by default the one `train_config.strategy` names (for
      `"multi_worker"`, make it with `make_strategy` before any other TensorFlow op instead).
    log: where progress messages go.
    train_batches, test_batches: your own `tf.data.Dataset`s of batched model-space images (with labels
      when `train_config.conditional`), instead of `train_config.dataset`'s; the training batches repeat,
      and the first one also initialises ActNorm.
    on_step: called as `on_step(progress)`, a `Progress`, after every step that logged, saved, evaluated or
      drew samples, for watching a run from code.

  Raises:
    WriteFailed: a checkpoint, the best model or a sample grid could not be written; the run can be resumed.
    WorkerLost: in a multi-worker run, another worker died or stopped answering.
  """
  strategy = strategy or make_strategy(train_config.strategy)
  check_batch_divides(train_config, strategy)
  role = worker_role(strategy)
  if role.count > 1:
    log = functools.partial(_log_as_worker, log, role.index)
  model_dir = train_config.model_dir
  run_directory.prepare(model_dir, glow_config, train_config, write=role.is_chief)
  trainer = Trainer(glow_config, train_config, strategy)
  if role.is_chief:
    chosen = "" if train_config.xla is not None else " (automatic: --xla or --noxla to choose)"
    threads = tf.config.threading
    log(f"XLA: {'on' if trainer.xla else 'off'}{chosen}; thread pools: {threads.get_intra_op_parallelism_threads()} "
        f"intra-op, {threads.get_inter_op_parallelism_threads()} inter-op (0: TensorFlow's choice).")
  # Each (re)start draws its data-order seed from here; checkpointed, so a resumed run is reproducible.
  data_rng = tf.random.Generator.from_seed(train_config.seed)
  checkpoints = RunCheckpoints(trainer.checkpoint(data_rng=data_rng), model_dir, role)
  try:
    restored = checkpoints.restore(trainer.chiefs_number, log)
    if restored:
      trainer.restored(restored)
      log(f"Resuming from {restored} at step {trainer.current_step()}.")
    run = _Run(trainer, checkpoints, role, data_rng, log, {"train": train_batches, "test": test_batches}, on_step)
    return run.train(saved_step=trainer.current_step() if restored else None)
  except OSError as error:
    if not (isinstance(error, CheckpointWriteError) or disk_space.out_of_space(error)):
      raise
    latest = checkpoints.latest
    resume = (f"The last complete checkpoint is {latest}: free some space (or fix the permissions) and run the same "
              f"command to resume from it." if latest else
              "No checkpoint had been written: free some space (or fix the permissions) and run the same command.")
    raise WriteFailed(f"{_described(error)} {resume}") from None
  except _LOST_PEER_ERRORS as error:
    if role.count == 1:
      raise
    raise WorkerLost(
        f"Lost contact with {_lost_peer(error)}. The last complete checkpoint is {checkpoints.latest}; restart "
        f"every worker with the same command and TF_CONFIG to resume from it."
    ) from None


def _described(error):
  if isinstance(error, CheckpointWriteError) or not error.filename:
    return str(error)
  return f"Could not write {error.filename}: {error.strerror}."


def _log_as_worker(log, index, message):
  log(f"[worker {index}] {message}")


def _lost_peer(error):
  """Which worker a collective lost, and why, from TensorFlow's message:
  "/job:worker/replica:0/task:1 (Socket closed)"."""
  message = getattr(error, "message", None) or str(error)
  peer = re.search(r"remote target (/job:[\w/:]+)", message)
  cause = re.search(r"aborted by: (.*)", message)
  return (f"{peer.group(1) if peer else 'another worker'} "
          f"({cause.group(1).strip() if cause else type(error).__name__})")


class _Run:
  """One invocation of `train`: the step loop, with delayed read-back, divergence, patience and stop requests."""

  def __init__(self, trainer, checkpoints, role, data_rng, log, custom_batches, on_step):
    self._log = log  # First: the best model's set-up may already have something to say.
    self.trainer, self.checkpoints, self.role = trainer, checkpoints, role
    self.on_step = on_step
    self.train_config = trainer.train_config
    self.model_dir = self.train_config.model_dir
    self.data = RunData(trainer, int(data_rng.uniform_full_int([], tf.int32)), custom_batches)
    self.best = BestModel(trainer.glow, trainer.step, self.model_dir, role, self.say)
    self.reports = Reports(trainer, role, self.data, self.best, self.say)
    self.saved_step, self.saved_path = None, None
    self.nonfinite_streak, self.train_bpd = 0, float("nan")  # As of the last step read back.
    self.timer = None  # (step, time) of the last scalars logged, for images/s.

  def say(self, message):
    """`log(message)`, above the progress bar rather than through it."""
    with tqdm.tqdm.external_write_mode():
      self._log(message)

  def train(self, saved_step):
    trainer, tc = self.trainer, self.train_config
    self.saved_step = saved_step
    start, stopped_by = trainer.current_step(), None
    stopped_early = self._out_of_patience(start)
    with StopSignals() as signals:
      if start < tc.steps and not stopped_early:
        if not bool(trainer.initialized.numpy()):
          trainer.initialize(self.data.initialization_batch())
        train_bpd, stopped_by, stopped_early = self._loop(start, signals)
      else:
        self.say(f"{self.model_dir} has already trained for {start} of {tc.steps} steps"
                 f"{' and stopped early' if stopped_early else ''}.")
        train_bpd = float("nan")
      step = trainer.current_step()
      if self.saved_step != step:
        self._save(step)
      if stopped_by:
        self.say(f"Stopped by {stopped_by} at step {step}; saved {self.saved_path}. Run the same command "
                 f"to resume.")
      else:
        if stopped_early:
          self.say(f"Stopped early at step {step}: no better test bits/dim in {tc.patience} evaluations since "
                   f"step {self.best.record.step}.")
        if tc.eval_every and self.reports.evaluated_step != step:
          self.reports.evaluate(step)
        if tc.sample_every:
          self.reports.samples(step)
    if trainer.strategy.num_replicas_in_sync > 1:
      self._check_replicas_agree()
    result = TrainResult(
        step=step, train_bits_per_dim=train_bpd, test_bits_per_dim=self.reports.test_bits_per_dim,
        skipped_steps=int(trainer.skipped_steps.numpy()), checkpoint=self.saved_path or self.checkpoints.latest,
        samples_dir=run_layout.samples_dir(self.model_dir), logs_dir=run_layout.logs_dir(self.model_dir),
        stopped_by=stopped_by, stopped_early=stopped_early)
    best = self.best.record
    if best:
      result.best_step, result.best_test_bits_per_dim, result.best_checkpoint = (
          best.step, best.test_bits_per_dim, best.path)
    if not stopped_by and self.role.is_chief:
      kept = f"\nBest: {best.path} (step {best.step}, test bits/dim {best.test_bits_per_dim:.4f})" if best else ""
      self.say(f"Checkpoint: {result.checkpoint}{kept}\nSamples: {result.samples_dir}\n"
               f"TensorBoard: tensorboard --logdir {result.logs_dir}")
    return result

  def _loop(self, start, signals):
    """Steps from `start` to the end, to a stop request or out of patience; returns (last finite bits/dim,
    the signal that stopped it, whether patience did)."""
    trainer, tc = self.trainer, self.train_config
    batches = iter(self.data.training_batches())
    # Redirected to a file, a bar redrawn ten times a second would bury everything else.
    progress = tqdm.tqdm(total=tc.steps, initial=start, unit="step", desc="train", dynamic_ncols=True,
                         mininterval=0.1 if sys.stderr.isatty() else 30, disable=not self.role.is_chief)
    self.timer = (start, time.perf_counter())
    pending, stop = None, False
    try:
      for step in range(start + 1, tc.steps + 1):
        metrics = trainer.train_step(next(batches), tf.constant(signals.received is not None))
        progress.update(1)
        # The previous step's outputs are read only now that this one is queued: the device never waits
        # for the host, except at the steps below that need this step's state.
        if pending:
          stop = self._observe(*pending) or stop
        pending = (step, metrics)
        if stop or self._acts_at(step):
          stop = self._observe(*pending) or stop
          pending = None
          self._act(step, metrics, progress)
        if stop:
          return self.train_bpd, signals.name or "another worker's stop signal", False
        if self.reports.evaluated_step == step and self._out_of_patience(step):
          return self.train_bpd, None, True
    finally:
      progress.close()
    return self.train_bpd, None, False

  def _out_of_patience(self, step):
    """Whether the last `patience` evaluations up to `step` all failed to beat the best model."""
    tc, best = self.train_config, self.best.record
    if not tc.patience or best is None:
      return False
    return step // tc.eval_every - best.step // tc.eval_every >= tc.patience

  def _acts_at(self, step):
    tc = self.train_config
    return any(every and step % every == 0 for every in (tc.log_every, tc.checkpoint_every, tc.eval_every,
                                                          tc.sample_every)) or step == tc.steps

  def _observe(self, step, metrics):
    """Reads one step's outputs back; returns whether any worker asked to stop."""
    if bool(metrics["finite"]):
      self.nonfinite_streak, self.train_bpd = 0, float(metrics["bits_per_dim"])
    else:
      self.nonfinite_streak += 1
      if self.nonfinite_streak >= self.train_config.max_nonfinite_steps:
        latest = self.checkpoints.latest
        kept = f"The last checkpoint, {latest}, is intact." if latest else "No checkpoint had been written."
        raise TrainingDiverged(
            f"{self.nonfinite_streak} consecutive steps up to step {step} had a non-finite loss or gradient; "
            f"stopped. {kept} Try a lower --learning_rate, a longer --warmup_steps or --clip_gradient_norm, "
            f"and check the data.")
    return bool(metrics["stop"])

  def _act(self, step, metrics, progress):
    """What happens at `step` besides training: scalars, a checkpoint, an evaluation, sample grids."""
    tc = self.train_config
    if step % tc.log_every == 0 or step == tc.steps:
      (last_step, last_time), now = self.timer, time.perf_counter()
      images_per_second = (step - last_step) * tc.batch_size / (now - last_time)
      self.timer = (step, now)
      progress.set_postfix(bpd=f"{self.train_bpd:.3f}", img_s=f"{images_per_second:.0f}", refresh=False)
      self.reports.scalars(step, metrics, images_per_second)
    # Never checkpoint inside a non-finite streak: the weights that caused it may be the bad ones.
    if step % tc.checkpoint_every == 0 and not self.nonfinite_streak:
      self._save(step)
    if tc.eval_every and step % tc.eval_every == 0 and step < tc.steps:
      self.reports.evaluate(step)
    if tc.sample_every and step % tc.sample_every == 0 and step < tc.steps:
      self.reports.samples(step)
    if self.on_step:
      self.on_step(Progress(step, self.train_bpd, self.reports.test_bits_per_dim, self.reports.evaluated_step,
                            int(self.trainer.skipped_steps.numpy()), self.trainer.glow))

  def _check_replicas_agree(self):
    """Every replica of every worker must end with the same weights; says so, or warns where they differ."""
    norms = self.trainer.replica_weight_norms()
    if len(set(norms)) == 1:
      self.say(f"All {len(norms)} replicas hold the same weights (sum of squares {norms[0]:.17g}).")
    else:
      self.say(f"Warning: the replicas' weights differ (sums of squares {', '.join(f'{n:.17g}' for n in norms)}); "
               f"the checkpoint holds the first's.")

  def _save(self, step):
    self.saved_path = self.checkpoints.save(step)
    self.saved_step = step
