"""Sample grids at several temperatures, as uint8 images and PNG files."""

import os
from typing import NamedTuple

import numpy as np
import tensorflow as tf

from glow_tf.grids import image_grid, write_png
from glow_tf.pixels import nonfinite_images, postprocess
from glow_tf.tracing import graph_function

# Grids of tiny images (8x8 digits) are enlarged so that each image is at least this many pixels high.
MIN_DISPLAY_SIZE = 64


def display_scale(image_shape):
  return max(1, MIN_DISPLAY_SIZE // image_shape[0])


def grid_labels(config, n, attribute_vectors):
  """(labels, columns, column titles) of a model's sample grids of n images.

  An unconditional model gets no labels; a model of classes, one class per column with its names above; a model
  of attributes, `attribute_vectors(n)`, which should be real images' (attributes that occur together), in rows.
  """
  if not config.num_classes:
    return None, None, ()
  if config.label_kind == "class_ids":
    return np.arange(n, dtype=np.int32) % config.num_classes, config.num_classes, config.label_names
  return attribute_vectors(n), None, ()


class SampleGrid(NamedTuple):
  """One written grid: its temperature, PNG path, uint8 image, and how many of its samples were not finite."""

  temperature: float
  path: str
  image: np.ndarray
  nonfinite: int


class SampleGrids:
  """Draws and writes sample grids of a model, with one traced sampler reused for every grid."""

  def __init__(self, glow):
    self.glow = glow
    self._sample = graph_function(glow.sample, reduce_retracing=True)

  def images(self, n, temperature, labels=None, seed=(0, 0)):
    """(uint8 images [n, H, W, C] drawn at `temperature` from a stateless `seed`, how many were not finite).

    A sample that overflowed to NaN or inf (the model's inverse, far from the data) is drawn black: cast to
    uint8, a NaN would become an arbitrary pixel.
    """
    x = self._sample(
        tf.constant(n, tf.int32), tf.constant(temperature, tf.float32), labels, tf.constant(seed, tf.int32)).numpy()
    nonfinite = nonfinite_images(x)
    x = np.where(nonfinite[:, None, None, None], -0.5, x)
    return postprocess(x, self.glow.config.n_bins).numpy(), int(nonfinite.sum())

  def write(self, directory, prefix, temperatures, n, labels=None, seed=(0, 0), columns=None, column_titles=()):
    """One PNG grid per temperature, `{prefix}_T{temperature}.png`; returns a `SampleGrid` for each.

    `column_titles` are written above the columns in the PNG (not in the returned image).
    """
    written = []
    for temperature in temperatures:
      images, nonfinite = self.images(n, temperature, labels, seed)
      grid = image_grid(images, columns=columns)
      path = os.path.join(directory, f"{prefix}_T{temperature:g}.png")
      write_png(path, grid, scale=display_scale(self.glow.config.image_shape), column_titles=column_titles)
      written.append(SampleGrid(temperature, path, grid, nonfinite))
    return written
