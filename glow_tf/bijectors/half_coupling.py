"""A base for bijectors that keep the first half of the channels and transform the second half given it."""

import tensorflow as tf

from glow_tf.bijectors.one_pass import OnePassBijector


class HalfCoupling(OnePassBijector):
  """Splits [..., H, W, C] into the first C/2 channels, which condition, and the last C/2, which change.

  Subclasses implement, on the changing half given the conditioning half,

    _encode_half(x_change, x_cond) -> (y_change, log|det dy/dx|)     (the paper's direction, TFP's inverse)
    _decode_half(y_change, y_cond) -> (x_change, log|det dx/dy|)     (TFP's forward)

  evaluating their network once per call.
  """

  def __init__(self, channels, **kwargs):
    if channels % 2:
      raise ValueError(f"{type(self).__name__} splits channels in halves; got an odd count {channels}.")
    super().__init__(forward_min_event_ndims=3, **kwargs)

  def _inverse_and_log_det(self, x):
    x_cond, x_change = tf.split(x, 2, axis=-1)
    y_change, log_det = self._encode_half(x_change, x_cond)
    return tf.concat([x_cond, y_change], axis=-1), log_det

  def _forward_and_log_det(self, y):
    y_cond, y_change = tf.split(y, 2, axis=-1)
    x_change, log_det = self._decode_half(y_change, y_cond)
    return tf.concat([y_cond, x_change], axis=-1), log_det


def sum_over_event(t):
  """Sums a [..., H, W, C] tensor over its event dimensions, leaving the batch shape."""
  return tf.reduce_sum(t, axis=[-3, -2, -1])
