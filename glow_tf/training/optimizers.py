"""Keras's Adam and Adamax with each variable's update one fused kernel.

Keras writes an update as about 30 small ops per variable; the CelebA default has 1802 variables, so the
update alone was half of the traced training step's ops and of the time spent tracing it. TensorFlow's
ApplyAdam and ApplyAdaMax kernels compute the same formulas in one op each. The optimisers' state, its
checkpoint layout, the learning-rate schedule and the step counter stay Keras's.

Keras applies weight decay in a pass of its own, one cross-replica update per variable; here it is one more op
beside the fused update, in the same per-variable call.
"""

import keras
import tensorflow as tf


class _FusedUpdates:
  """The hyperparameters of one update, cast once per dtype and device instead of once per variable."""

  def apply(self, grads, trainable_variables=None):
    self._hyperparameters = {}
    try:
      return super().apply(grads, trainable_variables)
    finally:
      self._hyperparameters = {}  # They belong to this update's graph; none of them outlives it.

  def _apply_weight_decay(self, variables):
    """Nothing: `update_step` does it, inside each variable's update."""

  def update_step(self, gradient, variable, learning_rate):
    hyper = self._hyperparameters_for(variable)
    lr = hyper(learning_rate)
    if self.weight_decay is not None and self._use_weight_decay(variable):
      # Keras's decoupled weight decay, w -= lr * wd * w, before the update.
      variable.assign_sub(variable * (hyper(self.weight_decay) * lr))
    self._fused_update(self._get_variable_index(variable), hyper, gradient, variable, lr)

  def _hyperparameters_for(self, variable):
    key = variable.dtype, variable.device
    if key not in self._hyperparameters:
      self._hyperparameters[key] = _Hyperparameters(self, variable.dtype)
    return self._hyperparameters[key]


class Adamax(_FusedUpdates, keras.optimizers.Adamax):
  """m = b1 m + (1 - b1) g,  u = max(b2 u, |g|),  w -= lr / (1 - b1^t) * m / (u + eps)."""

  def _fused_update(self, index, hyper, gradient, variable, lr):
    tf.raw_ops.ResourceApplyAdaMax(
        var=variable.handle, m=self._m[index].handle, v=self._u[index].handle,
        beta1_power=hyper.power(self.beta_1), lr=lr, beta1=hyper(self.beta_1),
        beta2=hyper(self.beta_2), epsilon=hyper(self.epsilon), grad=hyper(gradient))


class Adam(_FusedUpdates, keras.optimizers.Adam):
  """m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,  w -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)."""

  def __init__(self, learning_rate, **kwargs):
    if kwargs.get("amsgrad"):
      raise ValueError("The fused Adam has no amsgrad; use keras.optimizers.Adam.")
    super().__init__(learning_rate, **kwargs)

  def _fused_update(self, index, hyper, gradient, variable, lr):
    tf.raw_ops.ResourceApplyAdam(
        var=variable.handle, m=self._momentums[index].handle, v=self._velocities[index].handle,
        beta1_power=hyper.power(self.beta_1), beta2_power=hyper.power(self.beta_2), lr=lr,
        beta1=hyper(self.beta_1), beta2=hyper(self.beta_2), epsilon=hyper(self.epsilon), grad=hyper(gradient))


class _Hyperparameters:
  """Casts to one dtype; `power(b)` is b^t at the step t being taken (Keras counts from 0)."""

  def __init__(self, optimizer, dtype):
    self._dtype = dtype
    self._step = tf.cast(optimizer.iterations + 1, dtype)
    self._powers = {}

  def __call__(self, value):
    return tf.cast(value, self._dtype)

  def power(self, base):
    if base not in self._powers:
      self._powers[base] = tf.pow(self(base), self._step)
    return self._powers[base]
