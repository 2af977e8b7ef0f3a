"""Activation normalisation: a per-channel affine map initialised from data."""

import tensorflow as tf

from glow_tf.bijectors.layer import Layer
from glow_tf.bijectors.shapes import num_pixels

# The reference stores log(s) / 3: with Adam-like optimisers this triples the step taken on log(s).
LOG_SCALE_FACTOR = 3.0


class ActNorm(Layer):
  """Activation normalisation (Kingma & Dhariwal 2018, table 1).

  Encoding direction (the paper's function, TFP's `inverse`), per channel c at every pixel:

    y = s * x + b,    log|det dy/dx| = H * W * sum_c log|s_c|.

  Generative direction (TFP's `forward`): x = (y - b) / s. `s = exp(LOG_SCALE_FACTOR * log_scale)`, so
  the scale is always positive. `initialize_and_encode(x)` sets `s` and `b` so that every output channel
  has zero mean and unit variance over the batch x.

  ```python
  actnorm = ActNorm(channels=3)
  actnorm.initialize_and_encode(x)  # x: [B, H, W, 3]; afterwards actnorm.inverse(x) is standardised per channel.
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
    return x * self.scale() + self.bias

  def initialize_from(self, x):
    """Sets s and b so that `s * x + b` has zero mean and unit variance per channel over the batch x."""
    mean, variance = tf.nn.moments(x, axes=list(range(x.shape.rank - 1)))
    scale = 1.0 / (tf.sqrt(variance) + 1e-6)
    self.log_scale.assign(tf.math.log(scale) / LOG_SCALE_FACTOR)
    self.bias.assign(-mean * scale)

  def initialize_and_encode(self, x):
    """Data-dependent initialisation (see `glow_tf.passes.data_init`): s and b from the batch x, then x encoded
    with them."""
    self.initialize_from(x)
    return self.inverse(x)

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
