"""Invertible 1x1 convolution: a learned (or fixed) linear mixing of channels at every pixel."""

import numpy as np
import scipy.linalg
import tensorflow as tf

from glow_tf.bijectors.layer import Layer
from glow_tf.bijectors.shapes import as_image_batch, num_pixels

PERMUTATIONS = ("lu", "conv", "shuffle", "reverse")


class Invertible1x1Conv(Layer):
  """Invertible 1x1 convolution (Kingma & Dhariwal 2018, table 1).

  Encoding direction (the paper's function, TFP's `inverse`), at every pixel (i, j):

    y_ij = W x_ij,    log|det dy/dx| = H * W * log|det W|.

  Generative direction (TFP's `forward`): x_ij = W^-1 y_ij. The kinds of W (`permutation`):

  - `"lu"`: `W = P L (U + diag(sign(s) * exp(log|s|)))` with P a fixed permutation, L unit lower-triangular and
    U strictly upper-triangular: log|det W| = sum(log|s|) in O(C), and W^-1 costs two triangular solves.
  - `"conv"`: a full matrix W, log|det W| by `slogdet`.
  - `"shuffle"`, `"reverse"`: the paper's ablations, a fixed random or reversing permutation; log-det 0.

  Trainable W start at a random rotation (orthogonal, det W = 1), drawn from `seed`.

  ```python
  mix = Invertible1x1Conv(channels=12, permutation="lu", seed=0)
  z = mix.inverse(x)  # x: [B, H, W, 12]
  ```
  """

  def __init__(self, channels, permutation="lu", seed=None, dtype=tf.float32, validate_args=False,
               name="invertible_1x1_conv"):
    parameters = dict(locals())
    if permutation not in PERMUTATIONS:
      raise ValueError(f"Unknown permutation {permutation!r}; choose one of {PERMUTATIONS}.")
    self._permutation = permutation
    rng = np.random.default_rng(seed)
    with tf.name_scope(name) as scope_name:
      if permutation == "lu":
        self._init_lu(_random_rotation(channels, rng), dtype)
      elif permutation == "conv":
        self.kernel = tf.Variable(_random_rotation(channels, rng), dtype=dtype, name="kernel")
      else:
        order = rng.permutation(channels) if permutation == "shuffle" else np.arange(channels)[::-1]
        # Variables, so that a checkpoint restores the very permutation the model was trained with.
        self.channel_order = tf.Variable(order, dtype=tf.int32, trainable=False, name="channel_order")
        self.inverse_channel_order = tf.Variable(
            np.argsort(order), dtype=tf.int32, trainable=False, name="inverse_channel_order")
      super().__init__(
          forward_min_event_ndims=3,
          is_constant_jacobian=True,
          validate_args=validate_args,
          dtype=dtype,
          parameters=parameters,
          name=scope_name.rstrip("/"))

  def _init_lu(self, rotation, dtype):
    p, lower, upper = scipy.linalg.lu(rotation)
    s = np.diag(upper)
    channels = rotation.shape[0]
    self.p = tf.Variable(p, dtype=dtype, trainable=False, name="p")
    self.sign_s = tf.Variable(np.sign(s), dtype=dtype, trainable=False, name="sign_s")
    self.lower = tf.Variable(lower, dtype=dtype, name="lower")
    self.upper = tf.Variable(np.triu(upper, k=1), dtype=dtype, name="upper")
    self.log_s = tf.Variable(np.log(np.abs(s)), dtype=dtype, name="log_s")
    # Only the strict triangles of `lower` and `upper` are free; the masks keep the rest fixed.
    self._lower_mask = tf.constant(np.tril(np.ones([channels, channels]), k=-1), dtype)
    self._upper_mask = tf.constant(np.triu(np.ones([channels, channels]), k=1), dtype)
    self._eye = tf.eye(channels, dtype=dtype)

  @property
  def is_channel_permutation(self):
    """Whether W is a fixed permutation ("shuffle", "reverse"), applied by gathering channels, not by a kernel."""
    return self._permutation in ("shuffle", "reverse")

  def _lu_factors(self):
    lower = self.lower * self._lower_mask + self._eye
    upper = self.upper * self._upper_mask + tf.linalg.diag(self.sign_s * tf.exp(self.log_s))
    return lower, upper

  def conv_kernel(self):
    """W^T, the [C_in, C_out] kernel that applies W to every pixel's channels (a pixel is a row vector)."""
    if self._permutation == "lu":
      lower, upper = self._lu_factors()
      # (P L U)^T = U^T L^T P^T through matmul flags: explicit transposes of small matrices cost more on CPU
      # than the products themselves.
      return tf.matmul(upper, tf.matmul(lower, self.p, transpose_a=True, transpose_b=True), transpose_a=True)
    if self._permutation == "conv":
      return tf.transpose(self.kernel)
    return tf.one_hot(self.inverse_channel_order, self.channel_order.shape[0], dtype=self.dtype)

  def inverse_conv_kernel(self):
    """W^-T, the kernel of the generative direction; for the LU kind P L^-T U^-T by two triangular solves."""
    if self._permutation == "lu":
      lower, upper = self._lu_factors()
      u_inv_t = tf.linalg.triangular_solve(upper, self._eye, lower=False, adjoint=True)
      return self.p @ tf.linalg.triangular_solve(lower, u_inv_t, lower=True, adjoint=True)
    if self._permutation == "conv":
      return tf.transpose(tf.linalg.inv(self.kernel))
    return tf.one_hot(self.channel_order, self.channel_order.shape[0], dtype=self.dtype)

  def matrix(self):
    """W, the [C, C] matrix applied to each pixel in the encoding direction."""
    return tf.transpose(self.conv_kernel())

  def inverse_matrix(self):
    """W^-1."""
    return tf.transpose(self.inverse_conv_kernel())

  def _log_abs_det_matrix(self):
    if self._permutation == "lu":
      return tf.reduce_sum(self.log_s)
    if self._permutation == "conv":
      return tf.linalg.slogdet(self.kernel)[1]
    return tf.zeros([], self.dtype)

  def _inverse(self, x):
    if self.is_channel_permutation:
      return tf.gather(x, self.channel_order, axis=-1)
    return mix_channels(x, self.conv_kernel())

  def _forward(self, y):
    if self.is_channel_permutation:
      return tf.gather(y, self.inverse_channel_order, axis=-1)
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


def _random_rotation(channels, rng):
  q, _ = np.linalg.qr(rng.standard_normal([channels, channels]))
  if np.linalg.det(q) < 0:
    q[:, 0] = -q[:, 0]
  return q
