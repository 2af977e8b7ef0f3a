"""Shape helpers shared by the per-pixel bijectors."""

import tensorflow as tf


def num_pixels(x):
  """H * W of a [..., H, W, C] tensor, as x's dtype: per-pixel log-dets are multiplied by it."""
  height, width = tf.unstack(tf.shape(x)[-3:-1])
  return tf.cast(height * width, x.dtype)
