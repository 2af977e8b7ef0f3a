"""Invertible 1x1 convolution: a learned (or fixed) linear mixing of channels at every pixel; the kinds' base."""

import numpy as np
import tensorflow as tf

from glow_tf.bijectors.layer import Layer
from glow_tf.bijectors.shapes import as_image_batch, num_pixels


class Invertible1x1Conv(Layer):
  """Invertible 1x1 convolution (Kingma & Dhariwal 2018, table 1).

  Encoding direction (the paper's function, TFP's `inverse`), at every pixel (i, j):

    y_ij = W x_ij,    log|det dy/dx| = H * W * log|det W|.

  Generative direction (TFP's `forward`): x_ij = W^-1 y_ij. Each kind of W is a subclass that makes its
  variables (`_make_variables`), gives W^T and W^-T as kernels and log|det W|: `LUDecomposed1x1Conv`,
  `Dense1x1Conv`, and the paper's ablations `ShuffledChannels` and `ReversedChannels`. Trainable W start at a
  random rotation (orthogonal, det W = 1), drawn from `seed`. `mixings.make_invertible_1x1_conv` builds one by the
  name `GlowConfig.permutation` gives it.

  ```python
  mix = LUDecomposed1x1Conv(channels=12, seed=0)
  z = mix.inverse(x)  # x: [B, H, W, 12]
  ```
  """

  # Whether W is a fixed permutation, applied by gathering channels rather than by a kernel.
  is_channel_permutation = False

  def __init__(self, channels, seed=None, dtype=tf.float32, validate_args=False, name="invertible_1x1_conv"):
    parameters = dict(locals())
    with tf.name_scope(name) as scope_name:
      self._make_variables(channels, np.random.default_rng(seed), dtype)
      super().__init__(
          forward_min_event_ndims=3,
          is_constant_jacobian=True,
          validate_args=validate_args,
          dtype=dtype,
          parameters=parameters,
          name=scope_name.rstrip("/"))

  def _make_variables(self, channels, rng, dtype):
    raise NotImplementedError

  def conv_kernel(self):
    """W^T, the [C_in, C_out] kernel that applies W to every pixel's channels (a pixel is a row vector)."""
    raise NotImplementedError

  def inverse_conv_kernel(self):
    """W^-T, the kernel of the generative direction."""
    raise NotImplementedError

  def _log_abs_det_matrix(self):
    raise NotImplementedError

  def matrix(self):
    """W, the [C, C] matrix applied to each pixel in the encoding direction."""
    return tf.transpose(self.conv_kernel())

  def inverse_matrix(self):
    """W^-1."""
    return tf.transpose(self.inverse_conv_kernel())

  def _inverse(self, x):
    return mix_channels(x, self.conv_kernel())

  def _forward(self, y):
    return mix_channels(y, self.inverse_conv_kernel())

  def _inverse_log_det_jacobian(self, x):
    return num_pixels(x) * self._log_abs_det_matrix()

  def _forward_log_det_jacobian(self, y):
    return -num_pixels(y) * self._log_abs_det_matrix()


def mix_channels(x, kernel, bias=None):
  """`x_ij @ kernel (+ bias)` at every pixel of a [..., H, W, C_in] tensor, for a [C_in, C_out] kernel."""
  kernel = kernel[tf.newaxis, tf.newaxis]
  # A convolution rather than an einsum: its gradient is several times cheaper on CPU, and oneDNN fuses the bias.
  def conv(images):
    y = tf.nn.conv2d(images, kernel, strides=1, padding="VALID")
    return y if bias is None else tf.nn.bias_add(y, bias)
  return as_image_batch(x, conv)


def random_rotation(channels, rng):
  """A random [C, C] orthogonal matrix with determinant 1."""
  q, _ = np.linalg.qr(rng.standard_normal([channels, channels]))
  if np.linalg.det(q) < 0:
    q[:, 0] = -q[:, 0]
  return q
