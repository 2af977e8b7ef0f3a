"""Affine and additive coupling: half the channels, scaled and shifted by a network of the other half."""

import tensorflow as tf

from glow_tf.bijectors.half_coupling import HalfCoupling, sum_over_event
from glow_tf.bijectors.networks import CouplingNetwork
from glow_tf.choices import COUPLINGS, check_choice

# The reference's scale is sigmoid(h + 2): bounded in (0, 1) and close to 1 (0.88) at initialisation.
SCALE_OFFSET = 2.0


class AffineCoupling(HalfCoupling):
  """Affine coupling layer (Kingma & Dhariwal 2018, table 1; the reference implementation's form).

  Encoding direction (the paper's function, TFP's `inverse`), with x_b the first half of the channels and
  x_a the second:

    (shift, h_s) = NN(x_b),  s = sigmoid(h_s + 2),  y_a = (x_a + shift) * s,  y_b = x_b,
    log|det dy/dx| = sum log s.

  With `scale_floor` f > 0 the scale is s = f + (1 - f) * sigmoid(h_s + 2), bounded below by f: the
  generative direction divides by s, so one coupling can amplify its input by at most 1/f. With f = 0 (the
  reference) a network fed an unusual latent can drive sigmoid to exactly 0 in float32 and the sample to
  inf (docs/decisions.md).

  `coupling="additive"`: shift = NN(x_b), y_a = x_a + shift, log-det 0. Generative direction (TFP's
  `forward`): x_a = y_a / s - shift. NN's last layer is zero-initialised, so s = sigmoid(2) everywhere and
  shift = 0 at the start; the network is evaluated once per direction for both output and log-det.
  `network_dtype="bfloat16"` runs NN in bfloat16 (mixed precision); the rest stays in `dtype`, so the log-det
  stays exact for the network output NN gives (see `GlowConfig.network_dtype` for what it does to round trips).

  ```python
  coupling = AffineCoupling(channels=12, hidden_channels=512)
  z = coupling.inverse(x)  # x: [B, H, W, 12]
  ```
  """

  def __init__(self, channels, hidden_channels, coupling="affine", seed=None, dtype=tf.float32,
               network_dtype=None, scale_floor=0.0, validate_args=False, name="affine_coupling"):
    parameters = dict(locals())
    check_choice("coupling", coupling, COUPLINGS)
    if not 0 <= scale_floor < 1:
      raise ValueError(f"scale_floor must be in [0, 1), got {scale_floor!r}.")
    self._scale_floor = scale_floor
    self._additive = coupling == "additive"
    half = channels // 2
    with tf.name_scope(name) as scope_name:
      self.network = CouplingNetwork(
          half, hidden_channels, half if self._additive else 2 * half, seed=seed, dtype=dtype,
          compute_dtype=network_dtype, name=f"{name}_network")
      super().__init__(
          channels,
          is_constant_jacobian=self._additive,
          validate_args=validate_args,
          dtype=dtype,
          parameters=parameters,
          name=scope_name.rstrip("/"))

  def initialize_and_encode(self, x):
    """Data-dependent initialisation (see `glow_tf.passes.data_init`) of the network's ActNorms from the
    conditioning half of x; returns x encoded."""
    self.network.initialize_from(tf.split(x, 2, axis=-1)[0])
    return self.inverse(x)

  def _shift_and_log_scale(self, x_b):
    h = self.network(x_b)
    if self._additive:
      return h, None
    shift, h_scale = tf.split(h, 2, axis=-1)
    if not self._scale_floor:
      return shift, tf.math.log_sigmoid(h_scale + SCALE_OFFSET)
    floor = self._scale_floor
    return shift, tf.math.log(floor + (1 - floor) * tf.sigmoid(h_scale + SCALE_OFFSET))

  def _encode_half(self, x_a, x_b):
    shift, log_scale = self._shift_and_log_scale(x_b)
    if log_scale is None:
      return x_a + shift, tf.zeros(tf.shape(x_a)[:-3], x_a.dtype)
    return (x_a + shift) * tf.exp(log_scale), sum_over_event(log_scale)

  def _decode_half(self, y_a, y_b):
    shift, log_scale = self._shift_and_log_scale(y_b)
    if log_scale is None:
      return y_a - shift, tf.zeros(tf.shape(y_a)[:-3], y_a.dtype)
    return y_a * tf.exp(-log_scale) - shift, -sum_over_event(log_scale)
