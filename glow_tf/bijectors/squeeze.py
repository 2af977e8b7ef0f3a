"""Squeeze: trade spatial resolution for channels."""

import tensorflow as tf
import tensorflow_probability as tfp

from glow_tf.bijectors.shapes import as_image_batch

tfb = tfp.bijectors


class Squeeze(tfb.Bijector):
  """Space-to-depth by 2 (Dinh et al. 2017; Kingma & Dhariwal 2018, section 3).

  `forward`: [..., H, W, C] -> [..., H/2, W/2, 4C], each 2x2 block of pixels becoming one pixel's channels;
  `inverse`: depth-to-space. A permutation of the entries, so the log-det is 0. A Glow level squeezes in the
  encoding direction, so the model's chain holds it as `tfb.Invert(Squeeze())`.
  """

  def __init__(self, validate_args=False, name="squeeze"):
    parameters = dict(locals())
    with tf.name_scope(name) as scope_name:
      super().__init__(
          forward_min_event_ndims=3,
          is_constant_jacobian=True,
          validate_args=validate_args,
          parameters=parameters,
          name=scope_name.rstrip("/"))

  def _forward(self, x):
    return space_to_depth(x)

  def _inverse(self, y):
    return depth_to_space(y)

  def _forward_log_det_jacobian(self, x):
    return tf.zeros([], x.dtype)

  def _forward_event_shape(self, shape):
    height, width, channels = shape[-3:]
    return shape[:-3].concatenate([_half(height), _half(width), channels and 4 * channels])

  def _inverse_event_shape(self, shape):
    height, width, channels = shape[-3:]
    return shape[:-3].concatenate([height and 2 * height, width and 2 * width, channels and channels // 4])

  def _forward_event_shape_tensor(self, shape):
    return tf.concat([shape[:-3], shape[-3:-1] // 2, 4 * shape[-1:]], axis=0)

  def _inverse_event_shape_tensor(self, shape):
    return tf.concat([shape[:-3], shape[-3:-1] * 2, shape[-1:] // 4], axis=0)


def _half(size):
  return size and size // 2


def space_to_depth(x):
  """[..., H, W, C] -> [..., H/2, W/2, 4C]."""
  return as_image_batch(x, lambda images: tf.nn.space_to_depth(images, 2))


def depth_to_space(y):
  """[..., H/2, W/2, 4C] -> [..., H, W, C]."""
  return as_image_batch(y, lambda images: tf.nn.depth_to_space(images, 2))
