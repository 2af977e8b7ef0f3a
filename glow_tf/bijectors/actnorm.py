"""Activation normalisation: a per-channel affine map initialised from data."""

import contextlib
import threading

import tensorflow as tf

from glow_tf.bijectors.layer import Layer
from glow_tf.bijectors.shapes import num_pixels

# The reference stores log(s) / 3: with Adam-like optimisers this triples the step taken on log(s).
LOG_SCALE_FACTOR = 3.0

_initializing = threading.local()


@contextlib.contextmanager
def data_dependent_initialization():
  """Within this context, every ActNorm that normalises a batch eagerly first sets its parameters from it.

  Initialisation is a Python-level switch rather than a `tf.cond` in the graph, so no training or serving graph
  ever carries an initialiser.
  """
  if not tf.executing_eagerly():
    raise RuntimeError("ActNorm data-dependent initialisation runs eagerly; call it outside tf.function.")
  _initializing.active = True
  try:
    yield
  finally:
    _initializing.active = False


def initializing():
  """Whether ActNorms now being run eagerly should initialise from their input."""
  return getattr(_initializing, "active", False) and tf.executing_eagerly()


class ActNorm(Layer):
  """Activation normalisation (Kingma & Dhariwal 2018, table 1).

  Encoding direction (the paper's function, TFP's `inverse`), per channel c at every pixel:

    y = s * x + b,    log|det dy/dx| = H * W * sum_c log|s_c|.

  Generative direction (TFP's `forward`): x = (y - b) / s. `s = exp(LOG_SCALE_FACTOR * log_scale)`, so
  the scale is always positive. Inside `data_dependent_initialization()`, the first batch normalised sets
  `s` and `b` so that every output channel has zero mean and unit variance over that batch.

  ```python
  actnorm = ActNorm(channels=3)
  with data_dependent_initialization():
    actnorm.inverse(x)  # x: [B, H, W, 3]; afterwards actnorm.inverse(x) is standardised per channel.
  ```
  """

  def __init__(self, channels, dtype=tf.float32, validate_args=False, name="actnorm"):
    parameters = dict(locals())
    with tf.name_scope(name) as scope_name:
      self.log_scale = tf.Variable(tf.zeros([channels], dtype), name="log_scale")
      self.bias = tf.Variable(tf.zeros([channels], dtype), name="bias")
      super().__init__(
          forward_min_event_ndims=3,
          is_constant_jacobian=True,
          validate_args=validate_args,
          dtype=dtype,
          parameters=parameters,
          name=scope_name.rstrip("/"))

  def scale(self):
    """s, per channel."""
    return tf.exp(LOG_SCALE_FACTOR * self.log_scale)

  def normalize(self, x):
    """The encoding map `s * x + b` on a [..., H, W, C] tensor."""
    if initializing():
      self.initialize_from(x)
    return x * self.scale() + self.bias

  def initialize_from(self, x):
    """Sets s and b so that `s * x + b` has zero mean and unit variance per channel over the batch x."""
    mean, variance = tf.nn.moments(x, axes=list(range(x.shape.rank - 1)))
    scale = 1.0 / (tf.sqrt(variance) + 1e-6)
    self.log_scale.assign(tf.math.log(scale) / LOG_SCALE_FACTOR)
    self.bias.assign(-mean * scale)

  def _log_det_per_pixel(self):
    return LOG_SCALE_FACTOR * tf.reduce_sum(self.log_scale)

  def _inverse(self, x):
    return self.normalize(x)

  def _forward(self, y):
    return (y - self.bias) * tf.exp(-LOG_SCALE_FACTOR * self.log_scale)

  def _inverse_log_det_jacobian(self, x):
    return num_pixels(x) * self._log_det_per_pixel()

  def _forward_log_det_jacobian(self, y):
    return -num_pixels(y) * self._log_det_per_pixel()
