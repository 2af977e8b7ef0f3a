"""Image grids and PNG files, for sample grids, interpolations and TensorBoard."""

import math
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont
import tensorflow as tf

from glow_tf import disk_space

# The band above a grid that holds its column titles, in pixels of the written PNG.
TITLE_HEIGHT = 14


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


def write_png(path, image, scale=1, column_titles=()):
  """Writes a uint8 [H, W, C] image, each pixel enlarged to `scale` x `scale` (tiny 8x8 digits need it).

  `column_titles`, for a grid with that many columns, are written above them (a conditional model's classes).
  """
  image = np.asarray(image)
  if scale > 1:
    image = image.repeat(scale, axis=0).repeat(scale, axis=1)
  if column_titles:
    image = with_column_titles(image, column_titles)
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  temporary = f"{path}.tmp"
  try:
    tf.io.write_file(temporary, tf.io.encode_png(image))
    os.replace(temporary, path)  # A reader never sees half a file.
  except (OSError, tf.errors.OpError) as error:
    if os.path.exists(temporary):
      os.remove(temporary)
    if disk_space.out_of_space(error):
      raise disk_space.as_os_error(error, path) from None
    raise


def with_column_titles(grid, titles):
  """`grid` (uint8 [H, W, C]) below a black band with one title centred over each of its len(titles) columns.

  A title wider than its column is cut to fit.
  """
  height, width, channels = grid.shape
  band = Image.new("L", (width, TITLE_HEIGHT), 0)
  draw, font = ImageDraw.Draw(band), ImageFont.load_default()
  column_width = width / len(titles)
  for index, title in enumerate(titles):
    text = str(title)
    while len(text) > 1 and draw.textlength(text, font=font) > column_width - 2:
      text = text[:-1]
    left = (index + 0.5) * column_width - draw.textlength(text, font=font) / 2
    draw.text((left, TITLE_HEIGHT / 2), text, fill=255, font=font, anchor="lm")
  band = np.repeat(np.asarray(band)[..., np.newaxis], channels, axis=-1)
  return np.concatenate([band, grid], axis=0)
