"""The invertible 1x1 convolution with W in LU form: log|det W| in O(C), W^-1 by two triangular solves."""

import numpy as np
import scipy.linalg
import tensorflow as tf

from glow_tf.bijectors.invertible_1x1_conv import Invertible1x1Conv, random_rotation


class LUDecomposed1x1Conv(Invertible1x1Conv):
  """`W = P L (U + diag(sign(s) * exp(log|s|)))` (Kingma & Dhariwal 2018, section 3.2).

  P is a fixed permutation, L unit lower-triangular and U strictly upper-triangular, so
  log|det W| = sum(log|s|) and W^-1 = U^-1 L^-1 P^T.
  """

  def _make_variables(self, channels, rng, dtype):
    p, lower, upper = scipy.linalg.lu(random_rotation(channels, rng))
    s = np.diag(upper)
    self.p = tf.Variable(p, dtype=dtype, trainable=False, name="p")
    self.sign_s = tf.Variable(np.sign(s), dtype=dtype, trainable=False, name="sign_s")
    self.lower = tf.Variable(lower, dtype=dtype, name="lower")
    self.upper = tf.Variable(np.triu(upper, k=1), dtype=dtype, name="upper")
    self.log_s = tf.Variable(np.log(np.abs(s)), dtype=dtype, name="log_s")
    # Only the strict triangles of `lower` and `upper` are free; the masks keep the rest fixed.
    self._lower_mask = tf.constant(np.tril(np.ones([channels, channels]), k=-1), dtype)
    self._upper_mask = tf.constant(np.triu(np.ones([channels, channels]), k=1), dtype)
    self._eye = tf.eye(channels, dtype=dtype)

  def _lu_factors(self):
    lower = self.lower * self._lower_mask + self._eye
    upper = self.upper * self._upper_mask + tf.linalg.diag(self.sign_s * tf.exp(self.log_s))
    return lower, upper

  def conv_kernel(self):
    lower, upper = self._lu_factors()
    # (P L U)^T = U^T L^T P^T through matmul flags: explicit transposes of small matrices cost more on CPU than
    # the products themselves.
    return tf.matmul(upper, tf.matmul(lower, self.p, transpose_a=True, transpose_b=True), transpose_a=True)

  def inverse_conv_kernel(self):
    """P L^-T U^-T, by two triangular solves."""
    lower, upper = self._lu_factors()
    u_inv_t = tf.linalg.triangular_solve(upper, self._eye, lower=False, adjoint=True)
    return self.p @ tf.linalg.triangular_solve(lower, u_inv_t, lower=True, adjoint=True)

  def _log_abs_det_matrix(self):
    return tf.reduce_sum(self.log_s)
