"""The invertible 1x1 convolution with W a full matrix, as the paper first states it."""

import tensorflow as tf

from glow_tf.bijectors.invertible_1x1_conv import Invertible1x1Conv, random_rotation


class Dense1x1Conv(Invertible1x1Conv):
  """A full matrix W: log|det W| from its QR decomposition and W^-1 by `inv`, both O(C^3)."""

  def _make_variables(self, channels, rng, dtype):
    self.kernel = tf.Variable(random_rotation(channels, rng), dtype=dtype, name="kernel")

  def conv_kernel(self):
    return tf.transpose(self.kernel)

  def inverse_conv_kernel(self):
    return tf.transpose(tf.linalg.inv(self.kernel))

  def _log_abs_det_matrix(self):
    return log_abs_det(self.kernel)


@tf.custom_gradient
def log_abs_det(matrix):
  """log|det W| = sum log|R_ii| for W = QR, with slogdet's gradient W^-T.

  Not `tf.linalg.slogdet`: XLA has no kernel for it, and train.py and evaluate.py compile small models with XLA.
  """
  r = tf.linalg.qr(matrix).r

  def gradient(upstream):
    return upstream * tf.linalg.matrix_transpose(tf.linalg.inv(matrix))

  return tf.reduce_sum(tf.math.log(tf.abs(tf.linalg.diag_part(r)))), gradient
