"""The learned prior of the half that leaves the flow at a multi-scale split, as an affine bijector."""

import tensorflow as tf

from glow_tf.bijectors.half_coupling import HalfCoupling, sum_over_event
from glow_tf.bijectors.networks import ZeroConv2d


class SplitPrior(HalfCoupling):
  """The conditional Gaussian prior of a split, standardising the exiting half.

  At the end of each level but the last, the second half of the channels exits and is modelled by
  N(mean(z_stay), exp(log_scale(z_stay))^2), with (mean, log_scale) a zero-initialised 3x3 convolution of the
  first half, which stays. Encoding direction (TFP's `inverse`):

    eps = (z_exit - mean) * exp(-log_scale),    log|det deps/dz_exit| = -sum log_scale,

  so eps is standard normal under the model and the whole flow keeps one standard Gaussian base.
  Generative direction (TFP's `forward`): z_exit = eps * exp(log_scale) + mean.

  ```python
  prior = SplitPrior(channels=12)
  eps_and_stay = prior.inverse(z)  # z: [B, H, W, 12]; channels 6: are now standardised
  ```
  """

  def __init__(self, channels, dtype=tf.float32, validate_args=False, name="split_prior"):
    parameters = dict(locals())
    with tf.name_scope(name) as scope_name:
      self.network = ZeroConv2d(channels // 2, channels, dtype=dtype, name=f"{name}_network")
      super().__init__(
          channels,
          validate_args=validate_args,
          dtype=dtype,
          parameters=parameters,
          name=scope_name.rstrip("/"))

  def _mean_and_log_scale(self, z_stay):
    return tf.split(self.network(z_stay), 2, axis=-1)

  def _encode_half(self, z_exit, z_stay):
    mean, log_scale = self._mean_and_log_scale(z_stay)
    return (z_exit - mean) * tf.exp(-log_scale), -sum_over_event(log_scale)

  def _decode_half(self, eps, z_stay):
    mean, log_scale = self._mean_and_log_scale(z_stay)
    return eps * tf.exp(log_scale) + mean, sum_over_event(log_scale)
