"""A base for bijectors whose output and log-det come from a single evaluation."""

from tensorflow_probability.python.internal import cache_util

from glow_tf.bijectors.layer import Layer


class OnePassBijector(Layer):
  """Computes a direction's output and log-det together, so nothing is evaluated twice.

  TFP asks a bijector for `inverse(y)` and `inverse_log_det_jacobian(y)` separately. For a coupling both need
  the same network evaluation; for a bijector wrapping another, recomputing would miss the inner bijector's
  cache. Subclasses implement

    _inverse_and_log_det(y, **kwargs) -> (x, log|det dx/dy|)
    _forward_and_log_det(x, **kwargs) -> (y, log|det dy/dx|)

  and TFP's greedy-attribute cache stores the log-det beside the output, where the log-det methods find it.
  The log-dets are per example: already summed over the 3 event dimensions [H, W, C].
  """

  _cache = cache_util.BijectorCacheWithGreedyAttrs(
      forward_name="_augmented_forward", inverse_name="_augmented_inverse")

  def _augmented_inverse(self, y, **kwargs):
    x, ildj = self._inverse_and_log_det(y, **kwargs)
    return x, {"ildj": ildj, "fldj": -ildj}

  def _augmented_forward(self, x, **kwargs):
    y, fldj = self._forward_and_log_det(x, **kwargs)
    return y, {"fldj": fldj, "ildj": -fldj}

  def _inverse_log_det_jacobian(self, y, **kwargs):
    self._cache.inverse(y, **kwargs)  # A cache hit when TFP has already inverted y.
    return self._cache.inverse_attributes(y, **kwargs)["ildj"]

  def _forward_log_det_jacobian(self, x, **kwargs):
    self._cache.forward(x, **kwargs)
    return self._cache.forward_attributes(x, **kwargs)["fldj"]
