"""The invertible 1x1 convolution with W a full matrix, as the paper first states it."""

import tensorflow as tf

from glow_tf.bijectors.invertible_1x1_conv import Invertible1x1Conv, random_rotation


class Dense1x1Conv(Invertible1x1Conv):
  """A full matrix W: log|det W| by `slogdet` and W^-1 by `inv`, both O(C^3)."""

  def _make_variables(self, channels, rng, dtype):
    self.kernel = tf.Variable(random_rotation(channels, rng), dtype=dtype, name="kernel")

  def conv_kernel(self):
    return tf.transpose(self.kernel)

  def inverse_conv_kernel(self):
    return tf.transpose(tf.linalg.inv(self.kernel))

  def _log_abs_det_matrix(self):
    return tf.linalg.slogdet(self.kernel)[1]
