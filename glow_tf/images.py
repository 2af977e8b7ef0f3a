"""Image grids and PNG files, for sample grids, interpolations and TensorBoard."""

import math
import os

import numpy as np
import tensorflow as tf


def image_grid(images, columns=None, padding=1):
  """Tiles uint8 images [N, H, W, C] into one uint8 image, `columns` wide (default: as square as possible).

  Images are separated by `padding` pixels of mid-grey, so that black or white borders stay visible.
  """
  images = np.asarray(images)
  if images.ndim != 4 or images.dtype != np.uint8:
    raise ValueError(f"image_grid expects uint8 images [N, H, W, C]; got {images.dtype} {images.shape}.")
  count, height, width, channels = images.shape
  columns = columns or max(1, math.ceil(math.sqrt(count)))
  rows = max(1, math.ceil(count / columns))
  grid = np.full(
      [rows * (height + padding) + padding, columns * (width + padding) + padding, channels], 128, np.uint8)
  for index, image in enumerate(images):
    top = padding + (index // columns) * (height + padding)
    left = padding + (index % columns) * (width + padding)
    grid[top:top + height, left:left + width] = image
  return grid


def write_png(path, image, scale=1):
  """Writes a uint8 [H, W, C] image, each pixel enlarged to `scale` x `scale` (tiny 8x8 digits need it)."""
  image = np.asarray(image)
  if scale > 1:
    image = image.repeat(scale, axis=0).repeat(scale, axis=1)
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  temporary = f"{path}.tmp"
  tf.io.write_file(temporary, tf.io.encode_png(image))
  os.replace(temporary, path)  # A reader never sees half a file.
