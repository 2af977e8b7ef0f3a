"""The model, its optimiser and the training step, built in a `tf.distribute` strategy's scope."""

import contextlib

import tensorflow as tf

from glow_tf import fast_path, run_layout
from glow_tf.model import Glow
from glow_tf.pixels import bits_per_dim
from glow_tf.tracing import graph_function
from glow_tf.training import averaging, optimizers
from glow_tf.training.schedule import LinearWarmup
from glow_tf.training.strategy import worker_role


def make_optimizer(train_config):
  decay_steps = train_config.steps if train_config.learning_rate_decay == "cosine" else 0
  schedule = LinearWarmup(train_config.learning_rate, train_config.warmup_steps, decay_steps)
  optimizer = optimizers.Adamax if train_config.optimizer == "adamax" else optimizers.Adam
  return optimizer(schedule, weight_decay=train_config.weight_decay or None)


class Trainer:
  """Holds a `Glow`, its Keras optimiser and step counters; `train_step` does one update.

  The loss is the batch's mean bits/dim. Each replica's gradient is of its share of that mean (its
  examples' bits/dim summed and divided by the global batch), so the summed gradients equal a single
  device's on the whole batch. Steps with a non-finite loss or gradient change nothing but the counters.
  `step` and the other counters are distributed variables under a strategy: read them with `.numpy()`
  (`current_step()`), outside the step. With `train_config.ema_decay`, every update also moves the weights'
  average (`averaging.WeightAverage`), which `averaged_weights()` puts in the model for a while.
  """

  def __init__(self, glow_config, train_config, strategy=None):
    self.strategy = strategy or tf.distribute.get_strategy()
    self.glow_config, self.train_config = glow_config, train_config
    self.xla = fast_path.use_xla(
        train_config.xla, glow_config, train_config.batch_size // self.strategy.num_replicas_in_sync,
        calls=train_config.steps)
    with self.strategy.scope():
      self.glow = Glow(glow_config, seed=train_config.seed, backprop=train_config.backprop)
      self.optimizer = make_optimizer(train_config)
      # Built now, so that no optimiser variable is created inside the traced step.
      self.optimizer.build(self.glow.trainable_variables)
      self.average = (averaging.WeightAverage(self.glow.trainable_variables, train_config.ema_decay)
                      if train_config.ema_decay else None)
      self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
      self.skipped_steps = tf.Variable(0, dtype=tf.int64, trainable=False, name="skipped_steps")
      self.initialized = tf.Variable(False, trainable=False, name="initialized")
    self._replica_gradients = graph_function(self._replica_gradients_fn, jit_compile=self.xla)
    self.train_step = graph_function(self._train_step_fn)
    self._broadcast_from_first_replica = graph_function(self._broadcast_from_first_replica_fn)
    self._gather_weight_norms = graph_function(self._gather_weight_norms_fn)
    self._mean_over_replicas = graph_function(self._mean_over_replicas_fn)

  def checkpoint(self, **extra):
    """A `tf.train.Checkpoint` of everything a resumed run needs, plus `extra` objects."""
    if self.average is not None:
      extra[averaging.CHECKPOINT_KEY] = self.average
    return run_layout.model_checkpoint(
        self.glow, optimizer=self.optimizer, skipped_steps=self.skipped_steps, initialized=self.initialized,
        **{run_layout.STEP: self.step}, **extra)

  def restored(self, checkpoint_path):
    """Call after restoring `checkpoint()` from `checkpoint_path`: one written without an average (by a run
    without `ema_decay`) starts the average from the restored weights."""
    if self.average is not None and not averaging.has_average(checkpoint_path):
      self.average.reset(self.glow.trainable_variables)

  def averaged_weights(self):
    """A context in which the model holds the average of its weights (the raw ones with no `ema_decay`)."""
    if self.average is None:
      return contextlib.nullcontext()
    return self.average.swapped_in(self.glow.trainable_variables)

  def initialize(self, batch):
    """Data-dependent ActNorm initialisation from `batch` (x or (x, labels)); only ever once per run.

    Every worker initialises from its own copy of `batch`; the first replica's values are then copied to all
    replicas of all workers, so that they start from the same weights even where their arithmetic differs
    (GPUs choosing different convolution algorithms).
    """
    if bool(self.initialized.numpy()):
      return
    x, labels = self._unpack(batch)
    self.glow.initialize(x, labels)
    if self.strategy.num_replicas_in_sync > 1:  # Alone, there is no one to agree with; tracing it took 4.5 s.
      self._broadcast_from_first_replica()
    self.initialized.assign(True)

  def replica_weight_norms(self):
    """The sum of squares of the model's weights as each replica of each worker holds them: float64 [replicas]."""
    return self._gather_weight_norms().numpy()

  def agreed(self, value):
    """A number every worker computed for itself, made the same on all of them (their mean), so that a decision
    taken on it, such as joining a checkpoint save, is taken by all alike."""
    return float(self._mean_over_replicas(tf.constant(value, tf.float64)).numpy())

  def chiefs_number(self, value):
    """The chief worker's `value` on every worker: a collective that every worker must join."""
    strategy = self.strategy
    if worker_role(strategy).is_chief:
      # Each of the chief's replicas puts in its share of the whole, the others nothing: the mean is the value.
      value = value * strategy.num_replicas_in_sync / len(strategy.extended.worker_devices)
    else:
      value = 0.0
    return self.agreed(value)

  def current_step(self):
    """The step counter as a Python int (a distributed variable has no `int()`; this reads it back)."""
    return int(self.step.numpy())

  def learning_rate(self):
    return self.optimizer.learning_rate

  def _unpack(self, batch):
    if self.train_config.conditional:
      return batch
    return batch, None

  def _replica_gradients_fn(self, batch, stop_requested):
    """([summed bits/dim, stop requested], gradients) of this replica's share of the batch."""
    x, labels = self._unpack(batch)
    with tf.GradientTape() as tape:
      bpd = bits_per_dim(self.glow.log_prob(x, labels), self.glow_config.num_dims, self.glow_config.n_bins)
      loss = tf.reduce_sum(bpd) / self.train_config.batch_size
    # The stop request rides on the loss's reduction: every worker learns of any worker's, at no extra collective.
    totals = tf.stack([tf.reduce_sum(bpd), tf.cast(stop_requested, bpd.dtype)])
    return totals, tape.gradient(loss, self.glow.trainable_variables)

  def _summed_over_replicas(self, batch, stop_requested):
    # One all-reduce of the whole list: the strategy packs it into one collective, where a reduce per
    # gradient would be ~100 collectives a step, each a network round trip between workers.
    totals, gradients = self._replica_gradients(batch, stop_requested)
    return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, [totals, *gradients])

  def _train_step_fn(self, batch, stop_requested=False):
    """One update from `batch`; `stop_requested`, this worker's wish to stop, is reduced over all workers."""
    summed = self.strategy.run(self._summed_over_replicas, args=(batch, stop_requested))
    # Every replica holds the same sums; the update, in cross-replica context, takes this worker's first.
    totals, *gradients = [self.strategy.experimental_local_results(t)[0] for t in summed]
    bpd_sum, stops = tf.unstack(totals)
    bpd = bpd_sum / self.train_config.batch_size
    gradient_norm = tf.linalg.global_norm(gradients)
    finite = tf.math.is_finite(bpd) & tf.math.is_finite(gradient_norm)
    if self.train_config.clip_gradient_norm:
      gradients, _ = tf.clip_by_global_norm(gradients, self.train_config.clip_gradient_norm, use_norm=gradient_norm)

    def apply():
      self.optimizer.apply_gradients(zip(gradients, self.glow.trainable_variables))
      if self.average is not None:
        self.average.update(self.glow.trainable_variables, self.step.read_value())
      return tf.constant(True)

    tf.cond(finite, apply, lambda: tf.constant(False))
    self.step.assign_add(1)
    self.skipped_steps.assign_add(tf.cast(tf.logical_not(finite), tf.int64))
    return {"bits_per_dim": bpd, "gradient_norm": gradient_norm, "finite": finite, "stop": stops > 0}

  def _broadcast_from_first_replica_fn(self):
    variables = self.glow.trainable_variables

    def first_replica_values():
      context = tf.distribute.get_replica_context()
      first = tf.equal(context.replica_id_in_sync_group, 0)
      return context.all_reduce(
          tf.distribute.ReduceOp.SUM, [tf.where(first, v, tf.zeros_like(v)) for v in variables])

    for variable, value in zip(variables, self.strategy.run(first_replica_values)):
      variable.assign(value)

  def _mean_over_replicas_fn(self, value):
    def replica_mean(value):
      # tf.identity: the replica's own copy on its device; a tensor from outside has none to reduce from.
      return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.MEAN, tf.identity(value))

    return self.strategy.experimental_local_results(self.strategy.run(replica_mean, args=(value,)))[0]

  def _gather_weight_norms_fn(self):
    def local_norm():
      norm = tf.add_n([tf.reduce_sum(tf.square(tf.cast(v, tf.float64))) for v in self.glow.trainable_variables])
      return tf.distribute.get_replica_context().all_gather(norm[None], axis=0)

    return self.strategy.experimental_local_results(self.strategy.run(local_norm))[0]
