"""The learned, optionally class-conditional, prior of the top latent, as an affine bijector."""

import tensorflow as tf

from glow_tf.bijectors.layer import Layer
from glow_tf.bijectors.shapes import num_pixels


class TopPrior(Layer):
  """Standardises the top latent under its learned Gaussian N(mean, exp(log_scale)^2).

  Per channel, (mean, log_scale) = `prior` + `labels @ label_weights`, both zero-initialised (the reference's
  `learntop` and `ycond`). Encoding direction (TFP's `inverse`), at every pixel:

    eps = (z - mean) * exp(-log_scale),    log|det deps/dz| = -H * W * sum_c log_scale_c.

  Generative direction (TFP's `forward`): z = eps * exp(log_scale) + mean. `labels` are class ids [B] or
  multi-hot attribute vectors [B, num_classes], passed as a bijector keyword argument.

  ```python
  prior = TopPrior(channels=48, num_classes=10)
  eps = prior.inverse(z, labels=tf.constant([3, 7]))  # z: [2, H, W, 48]
  ```
  """

  def __init__(self, channels, learn_prior=True, num_classes=0, label_kind="class_ids", dtype=tf.float32,
               validate_args=False, name="top_prior"):
    parameters = dict(locals())
    self._num_classes = num_classes
    self._multi_hot = label_kind == "multi_hot"
    with tf.name_scope(name) as scope_name:
      self.prior = tf.Variable(tf.zeros([2 * channels], dtype), trainable=learn_prior, name="prior")
      if num_classes:
        self.label_weights = tf.Variable(tf.zeros([num_classes, 2 * channels], dtype), name="label_weights")
      super().__init__(
          forward_min_event_ndims=3,
          is_constant_jacobian=not num_classes,
          validate_args=validate_args,
          dtype=dtype,
          parameters=parameters,
          name=scope_name.rstrip("/"))

  def _mean_and_log_scale(self, labels):
    if not self._num_classes:
      if labels is not None:
        raise ValueError("This Glow model is unconditional (num_classes=0) but was given labels.")
      return tf.split(self.prior[tf.newaxis, tf.newaxis, :], 2, axis=-1)  # [1, 1, C] each
    if labels is None:
      raise ValueError(f"This Glow model is conditional on {self._describe_labels()}: pass labels.")
    h = self.prior + tf.tensordot(self._label_vectors(labels), self.label_weights, axes=1)  # [..., 2C]
    return tf.split(h[..., tf.newaxis, tf.newaxis, :], 2, axis=-1)  # [..., 1, 1, C] each

  def _label_vectors(self, labels):
    labels = tf.convert_to_tensor(labels)
    if labels.dtype.is_integer and self._multi_hot:
      raise ValueError(f"This Glow model is conditional on {self._describe_labels()}, not class ids; got "
                       f"{labels.dtype.name} labels of shape {labels.shape}.")
    if labels.dtype.is_integer:
      # tf.one_hot maps an out-of-range id to all zeros: silently the wrong prior.
      in_range = tf.debugging.assert_less(
          labels, tf.cast(self._num_classes, labels.dtype),
          message=f"Class ids must be in [0, {self._num_classes})")
      with tf.control_dependencies([in_range, tf.debugging.assert_non_negative(labels, message="Class ids must be >= 0")]):
        return tf.one_hot(labels, self._num_classes, dtype=self.dtype)
    if labels.shape[-1] != self._num_classes:
      raise ValueError(
          f"Multi-hot labels must have {self._num_classes} entries in their last dimension; got shape "
          f"{labels.shape}.")
    return tf.cast(labels, self.dtype)

  def _describe_labels(self):
    if self._multi_hot:
      return f"{self._num_classes} attributes, multi-hot float vectors [B, {self._num_classes}]"
    return (f"{self._num_classes} classes, class ids [B] (or one-hot float vectors [B, {self._num_classes}])")

  def _inverse(self, z, labels=None):
    mean, log_scale = self._mean_and_log_scale(labels)
    return (z - mean) * tf.exp(-log_scale)

  def _forward(self, eps, labels=None):
    mean, log_scale = self._mean_and_log_scale(labels)
    return eps * tf.exp(log_scale) + mean

  def _inverse_log_det_jacobian(self, z, labels=None):
    _, log_scale = self._mean_and_log_scale(labels)
    return -num_pixels(z) * tf.reduce_sum(log_scale, axis=[-3, -2, -1])  # [] or [B]

  def _forward_log_det_jacobian(self, eps, labels=None):
    return -self._inverse_log_det_jacobian(eps, labels)
