"""The recursion of the multi-scale architecture: the next level acts on the channels that stay."""

import tensorflow as tf

from glow_tf.bijectors.one_pass import OnePassBijector


class OnStayingHalf(OnePassBijector):
  """Applies `bijector` to the first half of the channels; the second half, which has exited, passes through.

  `bijector` must keep the shape of its input (each Glow level ends by undoing its squeeze), so that
  the latents of all levels are laid out in one tensor of the image's shape. The log-det is `bijector`'s,
  taken in the same pass as its output.
  """

  def __init__(self, bijector, validate_args=False, name="on_staying_half"):
    parameters = dict(locals())
    with tf.name_scope(name) as scope_name:
      self.bijector = bijector
      super().__init__(
          forward_min_event_ndims=3,
          validate_args=validate_args,
          dtype=bijector.dtype,
          parameters=parameters,
          name=scope_name.rstrip("/"))

  def _inverse_and_log_det(self, y, **kwargs):
    return self._apply(y, self.bijector.inverse, self.bijector.inverse_log_det_jacobian, kwargs)

  def _forward_and_log_det(self, x, **kwargs):
    return self._apply(x, self.bijector.forward, self.bijector.forward_log_det_jacobian, kwargs)

  @staticmethod
  def split(t):
    """(the staying half of t's channels, the exited half)."""
    return tf.split(t, 2, axis=-1)

  @staticmethod
  def join(stay, exited):
    """The inverse of `split`."""
    return tf.concat([stay, exited], axis=-1)

  def _apply(self, t, transform, log_det, kwargs):
    stay, exited = self.split(t)
    return self.join(transform(stay, **kwargs), exited), log_det(stay, event_ndims=3, **kwargs)
