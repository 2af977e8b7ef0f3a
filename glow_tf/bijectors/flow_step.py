"""One step of flow: ActNorm, invertible 1x1 convolution, coupling."""

import tensorflow as tf

from glow_tf.bijectors.one_pass import OnePassBijector


class FlowStep(OnePassBijector):
  """One step of flow (Kingma & Dhariwal 2018, figure 2a), in the encoding direction (TFP's `inverse`):

    x -> ActNorm -> invertible 1x1 convolution -> coupling -> y,   log|det dy/dx| = the sum of the three.

  With `recompute_gradients`, the step's activations are not kept for the backward pass but recomputed
  from its input (`tf.recompute_grad`): memory for one step instead of K, for about a third more compute.

  ```python
  step = FlowStep(ActNorm(12), Invertible1x1Conv(12), AffineCoupling(12, hidden_channels=512))
  ```
  """

  def __init__(self, actnorm, mixing, coupling, recompute_gradients=False, validate_args=False, name="flow_step"):
    parameters = dict(locals())
    with tf.name_scope(name) as scope_name:
      self.actnorm, self.mixing, self.coupling = actnorm, mixing, coupling
      self._recompute_gradients = recompute_gradients
      super().__init__(
          forward_min_event_ndims=3,
          validate_args=validate_args,
          dtype=coupling.dtype,
          parameters=parameters,
          name=scope_name.rstrip("/"))

  def _encode(self, x):
    log_det = 0.0
    for layer in (self.actnorm, self.mixing, self.coupling):
      log_det += layer.inverse_log_det_jacobian(x, event_ndims=3)
      x = layer.inverse(x)
    return x, log_det + tf.zeros(tf.shape(x)[:-3], x.dtype)

  def _decode(self, y):
    log_det = 0.0
    for layer in (self.coupling, self.mixing, self.actnorm):
      log_det += layer.forward_log_det_jacobian(y, event_ndims=3)
      y = layer.forward(y)
    return y, log_det + tf.zeros(tf.shape(y)[:-3], y.dtype)

  def _inverse_and_log_det(self, x):
    if self._recompute_gradients:
      return tf.recompute_grad(self._encode)(x)
    return self._encode(x)

  def _forward_and_log_det(self, y):
    return self._decode(y)
