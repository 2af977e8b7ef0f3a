"""One step of flow: ActNorm, invertible 1x1 convolution, coupling."""

import tensorflow as tf

from glow_tf.bijectors.invertible_1x1_conv import mix_channels
from glow_tf.bijectors.one_pass import OnePassBijector


class FlowStep(OnePassBijector):
  """One step of flow (Kingma & Dhariwal 2018, figure 2a), in the encoding direction (TFP's `inverse`):

    x -> ActNorm -> invertible 1x1 convolution -> coupling -> y,   log|det dy/dx| = the sum of the three.

  ActNorm and a learned 1x1 convolution run as one convolution with bias, W (s x + b) = (W diag s) x + W b,
  which saves two passes over the activations each way.

  ```python
  step = FlowStep(ActNorm(12), LUDecomposed1x1Conv(12), AffineCoupling(12, hidden_channels=512))
  ```
  """

  def __init__(self, actnorm, mixing, coupling, validate_args=False, name="flow_step"):
    parameters = dict(locals())
    with tf.name_scope(name) as scope_name:
      self.actnorm, self.mixing, self.coupling = actnorm, mixing, coupling
      self._shared_trace = None
      super().__init__(
          forward_min_event_ndims=3,
          validate_args=validate_args,
          dtype=coupling.dtype,
          parameters=parameters,
          name=scope_name.rstrip("/"))

  def _fuses_actnorm_and_mixing(self):
    return not self.mixing.is_channel_permutation

  def share_trace(self, shared_trace):
    """Encode and decode through `shared_trace` (a `SharedTrace` of a step built like this one)."""
    self._shared_trace = shared_trace

  def _inverse_and_log_det(self, x):
    return self._through_shared_trace("_encode", x)

  def _forward_and_log_det(self, y):
    return self._through_shared_trace("_decode", y)

  def _through_shared_trace(self, method, x):
    if self._shared_trace is None:
      return getattr(self, method)(x)
    return self._shared_trace(method, self, x)

  def initialize_and_encode(self, x):
    """Data-dependent initialisation (see `glow_tf.passes.data_init`), layer by layer: each layer initialises
    from its own input, so ActNorm cannot be fused with the 1x1 convolution here. Returns x encoded."""
    x = self.actnorm.initialize_and_encode(x)
    return self.coupling.initialize_and_encode(self.mixing.inverse(x))

  def _encode(self, x):
    # ActNorm's and the 1x1 convolution's log-dets depend on the shape alone.
    log_det = (self.actnorm.inverse_log_det_jacobian(x, event_ndims=3)
               + self.mixing.inverse_log_det_jacobian(x, event_ndims=3))
    if self._fuses_actnorm_and_mixing():
      kernel = self.mixing.conv_kernel()
      x = mix_channels(x, self.actnorm.scale()[:, tf.newaxis] * kernel,
                       tf.linalg.matvec(kernel, self.actnorm.bias, transpose_a=True))
    else:
      x = self.mixing.inverse(self.actnorm.inverse(x))
    log_det += self.coupling.inverse_log_det_jacobian(x, event_ndims=3)
    x = self.coupling.inverse(x)
    return x, log_det + tf.zeros(tf.shape(x)[:-3], x.dtype)

  def _decode(self, y):
    log_det = (self.coupling.forward_log_det_jacobian(y, event_ndims=3)
               + self.mixing.forward_log_det_jacobian(y, event_ndims=3)
               + self.actnorm.forward_log_det_jacobian(y, event_ndims=3))
    y = self.coupling.forward(y)
    if self._fuses_actnorm_and_mixing():
      # s^-1 (W^-1 y - b) = (diag(s^-1) W^-1) y - b / s.
      inverse_scale = 1.0 / self.actnorm.scale()
      y = mix_channels(y, self.mixing.inverse_conv_kernel() * inverse_scale, -self.actnorm.bias * inverse_scale)
    else:
      y = self.actnorm.forward(self.mixing.forward(y))
    return y, log_det + tf.zeros(tf.shape(y)[:-3], y.dtype)
