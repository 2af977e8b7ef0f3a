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

  The averages of all the weights are one flat variable, `flat` (the weights' values end to end, in `variables`'
  order). One average per weight (679 at L=3, K=16) made the traced step a few thousand ops longer: tracing it and
  optimising its graph took 16 s more of a 32x32 run's start (bench/quality.py's crops), and every step 7% longer.

  Args:
    variables: the weights to average, in a fixed order (the model's `trainable_variables`), of one dtype.
    decay: the average's decay in (0, 1).
  """

  def __init__(self, variables, decay, name=CHECKPOINT_KEY):
    super().__init__(name=name)
    if not 0 < decay < 1:
      raise ValueError(f"The average's decay must be in (0, 1), got {decay!r}.")
    if len({v.dtype for v in variables}) > 1:
      raise ValueError(f"The averaged weights must share one dtype, got {sorted({v.dtype.name for v in variables})}.")
    self.decay = decay
    with self.name_scope:
      self.flat = tf.Variable(_flattened(variables), trainable=False, name="flat")
    self._swap = graph_function(self._swap_fn)
    self._reset = graph_function(self._reset_fn)

  def update(self, variables, step):
    """Folds the weights in, inside a training step (cross-replica context); `step` is t, the steps before it."""
    t = tf.cast(step, self.flat.dtype)
    keep = tf.minimum(tf.constant(self.decay, self.flat.dtype), t / (t + 10.0))
    self.flat.assign_sub((1.0 - keep) * (self.flat - _flattened(variables)))

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
    weights = _flattened(variables)
    _assign_flat(variables, self.flat.read_value())
    self.flat.assign(weights)

  def _reset_fn(self, variables):
    self.flat.assign(_flattened(variables))


def _flattened(variables):
  return tf.concat([tf.reshape(v, [-1]) for v in variables], axis=0)


def _assign_flat(variables, flat):
  """Puts the consecutive pieces of the 1-D `flat` into `variables`, in their shapes."""
  pieces = tf.split(flat, [v.shape.num_elements() for v in variables])
  for variable, piece in zip(variables, pieces):
    variable.assign(tf.reshape(piece, variable.shape))


# The checkpoint entry of `WeightAverage.flat`.
_FLAT_KEY = f"{CHECKPOINT_KEY}/flat/.ATTRIBUTES/VARIABLE_VALUE"


def has_average(checkpoint_path):
  """Whether a checkpoint holds weight averages (checkpoints from before they were one flat variable count as
  having none: a resumed run starts its average over from their weights)."""
  return any(name == _FLAT_KEY for name, _ in tf.train.list_variables(checkpoint_path))


def restore_average_into(variables, checkpoint_path):
  """Overwrites `variables` (a model's `trainable_variables`, restored from the checkpoint) with the checkpoint's
  averages of them, where it has any; returns whether it did."""
  if not has_average(checkpoint_path):
    return False
  flat = tf.train.load_variable(checkpoint_path, _FLAT_KEY)
  _assign_flat(variables, tf.constant(flat, variables[0].dtype))
  return True
