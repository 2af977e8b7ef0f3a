"""Polyak averaging: an exponential moving average of the weights, for evaluating, sampling and exporting.

The raw weights of an Adamax run are a noisy model: on a small folder, test bits/dim swung by 0.3-0.6 from one
evaluation to the next. Their running average (the reference's `polyak_epochs`, as in Flow++ and Residual
Flows) is the model a run evaluates, samples, keeps as its best and exports; training itself never sees it.
"""

import contextlib

import tensorflow as tf

from glow_tf.tracing import graph_function

# A checkpoint's averages are under this name, beside the model's own weights.
CHECKPOINT_KEY = "average"


class WeightAverage(tf.Module):
  """`a_t = d_t a_{t-1} + (1 - d_t) w_t` over the training steps t = 0, 1, ... with `d_t = min(decay, t / (t + 10))`.

  The ramp `t / (t + 10)` (tf.train.ExponentialMovingAverage's `num_updates`) makes the first average the weights
  themselves and lets early averages follow a model that is still changing fast, instead of dragging its
  initialisation along for 1 / (1 - decay) steps.

  Args:
    variables: the weights to average, in a fixed order (the model's `trainable_variables`).
    decay: the average's decay in (0, 1).
  """

  def __init__(self, variables, decay, name=CHECKPOINT_KEY):
    super().__init__(name=name)
    if not 0 < decay < 1:
      raise ValueError(f"The average's decay must be in (0, 1), got {decay!r}.")
    self.decay = decay
    with self.name_scope:
      self.averages = [tf.Variable(v.read_value(), trainable=False, name=v.name.split(":")[0].replace("/", "_"))
                       for v in variables]
    self._swap = graph_function(self._swap_fn)
    self._reset = graph_function(self._reset_fn)

  def update(self, variables, step):
    """Folds the weights in, inside a training step (cross-replica context); `step` is t, the steps before it."""
    t = tf.cast(step, tf.float32)
    keep = tf.minimum(tf.constant(self.decay, tf.float32), t / (t + 10.0))
    for average, variable in zip(self.averages, variables):
      average.assign_sub((1.0 - tf.cast(keep, average.dtype)) * (average - variable))

  @contextlib.contextmanager
  def swapped_in(self, variables):
    """The averages in the model's variables for the duration of the block, the weights back after it."""
    self._swap(variables)
    try:
      yield
    finally:
      self._swap(variables)

  def reset(self, variables):
    """Starts the average over from the weights as they are (a run resumed from a checkpoint without one)."""
    self._reset(variables)

  def _swap_fn(self, variables):
    for average, variable in zip(self.averages, variables):
      weight = variable.read_value()
      variable.assign(average.read_value())
      average.assign(weight)

  def _reset_fn(self, variables):
    for average, variable in zip(self.averages, variables):
      average.assign(variable.read_value())


def has_average(checkpoint_path):
  """Whether a checkpoint holds weight averages."""
  return any(name.startswith(f"{CHECKPOINT_KEY}/") for name, _ in tf.train.list_variables(checkpoint_path))


def restore_average_into(variables, checkpoint_path):
  """Overwrites `variables` (a model's `trainable_variables`, restored from the checkpoint) with the checkpoint's
  averages of them, where it has any; returns whether it did."""
  if not has_average(checkpoint_path):
    return False
  holder = tf.Module()
  holder.averages = list(variables)  # The path WeightAverage saves them under: average/averages/<i>.
  tf.train.Checkpoint(**{CHECKPOINT_KEY: holder}).restore(checkpoint_path).expect_partial() \
      .assert_existing_objects_matched()
  return True
