"""Shape helpers shared by the per-pixel bijectors."""

import tensorflow as tf


def num_pixels(x):
  """H * W of a [..., H, W, C] tensor, as x's dtype: per-pixel log-dets are multiplied by it."""
  shape = tf.shape(x)  # Indexed, not unpacked: TFP passes tensors whose rank is only known at run time.
  return tf.cast(shape[-3] * shape[-2], x.dtype)


def as_image_batch(x, image_fn):
  """Applies a 4-D image op to a [..., H, W, C] tensor with any number of batch dimensions (none included)."""
  if x.shape.rank == 4:
    return image_fn(x)
  batch_shape = tf.shape(x)[:-3]
  y = image_fn(tf.reshape(x, tf.concat([[-1], tf.shape(x)[-3:]], axis=0)))
  return tf.reshape(y, tf.concat([batch_shape, tf.shape(y)[1:]], axis=0))
