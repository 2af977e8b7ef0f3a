"""Sample grids at several temperatures, as uint8 images and PNG files."""

import os

import tensorflow as tf

from glow_tf.images import image_grid, write_png
from glow_tf.objective import postprocess

# Grids of tiny images (8x8 digits) are enlarged so that each image is at least this many pixels high.
MIN_DISPLAY_SIZE = 64


def display_scale(image_shape):
  return max(1, MIN_DISPLAY_SIZE // image_shape[0])


class SampleGrids:
  """Draws and writes sample grids of a model, with one traced sampler reused for every grid."""

  def __init__(self, glow):
    self.glow = glow
    self._sample = tf.function(
        lambda n, temperature, labels, seed: postprocess(
            glow.sample(n, temperature, labels, seed), glow.config.n_bins),
        reduce_retracing=True)

  def images(self, n, temperature, labels=None, seed=(0, 0)):
    """uint8 images [n, H, W, C] drawn at `temperature` from a stateless `seed`."""
    return self._sample(
        tf.constant(n, tf.int32), tf.constant(temperature, tf.float32), labels, tf.constant(seed, tf.int32)).numpy()

  def write(self, directory, prefix, temperatures, n, labels=None, seed=(0, 0), columns=None):
    """One PNG grid per temperature, `{prefix}_T{temperature}.png`; returns [(temperature, path, grid)]."""
    written = []
    for temperature in temperatures:
      grid = image_grid(self.images(n, temperature, labels, seed), columns=columns)
      path = os.path.join(directory, f"{prefix}_T{temperature:g}.png")
      write_png(path, grid, scale=display_scale(self.glow.config.image_shape))
      written.append((temperature, path, grid))
    return written
