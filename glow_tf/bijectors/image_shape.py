"""A guard at the outside of the model: images and latents must have the model's shape."""

import tensorflow as tf
import tensorflow_probability as tfp

tfb = tfp.bijectors


class ExpectImageShape(tfb.Bijector):
  """The identity on tensors of shape [..., H, W, C]; anything else is refused with a clear error.

  Without it, an image of the wrong size fails deep inside a convolution with a message about
  incompatible shapes. Known sizes are checked while tracing; unknown ones when the graph runs.
  """

  def __init__(self, image_shape, validate_args=False, name="expect_image_shape"):
    parameters = dict(locals())
    self._image_shape = tuple(image_shape)
    with tf.name_scope(name) as scope_name:
      super().__init__(
          forward_min_event_ndims=3,
          is_constant_jacobian=True,
          validate_args=validate_args,
          parameters=parameters,
          name=scope_name.rstrip("/"))

  def _check(self, x):
    expected = "[batch..., {}, {}, {}]".format(*self._image_shape)
    rank = x.shape.rank
    if rank is None:
      return x
    if rank < 3 or not x.shape[-3:].is_compatible_with(self._image_shape):
      raise ValueError(f"Glow expects images of shape {expected}; got shape {x.shape}.")
    if x.shape[-3:].is_fully_defined():
      return x
    return tf.ensure_shape(x, [None] * (rank - 3) + list(self._image_shape))

  def _forward(self, x):
    return self._check(x)

  def _inverse(self, y):
    return self._check(y)

  def _forward_log_det_jacobian(self, x):
    return tf.zeros([], x.dtype)
