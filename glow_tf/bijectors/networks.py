"""The convolutional networks inside couplings and priors, built from raw variables so `tf.Module` tracks them."""

import numpy as np
import tensorflow as tf

from glow_tf.bijectors.actnorm import ActNorm
from glow_tf.bijectors.shapes import as_image_batch

# The reference's weight initialisation for the convolutions that precede an ActNorm.
CONV_INIT_STDDEV = 0.05
# Zero-initialised layers store log(gain) / 3, like ActNorm's log-scale.
LOG_GAIN_FACTOR = 3.0


def conv2d_same(x, kernel):
  """A stride-1, 'SAME' convolution of [..., H, W, C_in] (any batch rank, none included) by a [k, k, C_in, C_out]
  kernel."""
  return as_image_batch(x, lambda images: tf.nn.conv2d(images, kernel, strides=1, padding="SAME"))


class ZeroConv2d(tf.Module):
  """A 3x3 convolution initialised to output zeros, with a learned per-channel gain.

  `y = (conv3x3(x) + bias) * exp(LOG_GAIN_FACTOR * log_gain)`. Starting at zero makes every coupling the
  identity and every prior standard normal at initialisation, which is what lets a deep flow train.
  """

  def __init__(self, in_channels, out_channels, dtype=tf.float32, name="zero_conv"):
    super().__init__(name=name)
    with self.name_scope:
      self.kernel = tf.Variable(tf.zeros([3, 3, in_channels, out_channels], dtype), name="kernel")
      self.bias = tf.Variable(tf.zeros([out_channels], dtype), name="bias")
      self.log_gain = tf.Variable(tf.zeros([out_channels], dtype), name="log_gain")

  def __call__(self, x):
    # (conv(x, k) + b) * g == conv(x, k * g) + b * g: one fused convolution with bias, in x's dtype.
    gain = tf.exp(LOG_GAIN_FACTOR * self.log_gain)
    return tf.nn.bias_add(conv2d_same(x, tf.cast(self.kernel * gain, x.dtype)), tf.cast(self.bias * gain, x.dtype))


class CouplingNetwork(tf.Module):
  """conv3x3(W) -> ActNorm -> ReLU -> conv1x1(W) -> ActNorm -> ReLU -> ZeroConv2d: the reference's NN().

  The hidden convolutions have no bias: the ActNorm after each supplies it. With a `compute_dtype` (bfloat16),
  the weights stay in `dtype` and are cast, as are the input and the output: mixed precision.
  """

  def __init__(self, in_channels, hidden_channels, out_channels, seed=None, dtype=tf.float32, compute_dtype=None,
               name="coupling_network"):
    super().__init__(name=name)
    self.compute_dtype = tf.as_dtype(compute_dtype or dtype)
    rng = np.random.default_rng(seed)
    with self.name_scope:
      self.conv_in = tf.Variable(
          CONV_INIT_STDDEV * rng.standard_normal([3, 3, in_channels, hidden_channels]), dtype=dtype,
          name="conv_in")
      self.actnorm_in = ActNorm(hidden_channels, dtype=dtype, name=f"{name}_actnorm_in")
      self.conv_hidden = tf.Variable(
          CONV_INIT_STDDEV * rng.standard_normal([1, 1, hidden_channels, hidden_channels]), dtype=dtype,
          name="conv_hidden")
      self.actnorm_hidden = ActNorm(hidden_channels, dtype=dtype, name=f"{name}_actnorm_hidden")
      self.conv_out = ZeroConv2d(hidden_channels, out_channels, dtype=dtype, name="conv_out")

  def __call__(self, x):
    h = tf.cast(x, self.compute_dtype)
    h = _conv_actnorm_relu(h, self.conv_in, self.actnorm_in)  # [B, H, W, hidden]
    h = _conv_actnorm_relu(h, self.conv_hidden, self.actnorm_hidden)
    return tf.cast(self.conv_out(h), x.dtype)  # [B, H, W, out]

  def initialize_from(self, x):
    """Data-dependent initialisation: each ActNorm standardises its convolution's output over the batch x.

    The statistics are taken in the weights' dtype, whatever the network computes in.
    """
    h = tf.cast(x, self.conv_in.dtype)
    for kernel, actnorm in ((self.conv_in, self.actnorm_in), (self.conv_hidden, self.actnorm_hidden)):
      actnorm.initialize_from(conv2d_same(h, kernel))
      h = _conv_actnorm_relu(h, kernel, actnorm)


def _conv_actnorm_relu(x, kernel, actnorm):
  """relu(actnorm(conv(x))), ActNorm's scale folded into the kernel so that oneDNN fuses conv, bias and ReLU.

  Computed in x's dtype.
  """
  return tf.nn.relu(tf.nn.bias_add(conv2d_same(x, tf.cast(kernel * actnorm.scale(), x.dtype)),
                                   tf.cast(actnorm.bias, x.dtype)))
