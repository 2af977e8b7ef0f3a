"""Shared by the data tests: tfds mocked (nothing can be downloaded here), and folders of real images."""

import contextlib
from unittest import mock

import numpy as np
import tensorflow_datasets as tfds
from PIL import Image


@contextlib.contextmanager
def mocked_tfds(num_examples=4, as_dataset_fn=None):
  """Runs the real tfds loading code on `tfds.testing.mock_data`'s random examples of each dataset's spec.

  mock_data makes download_and_prepare a no-op but leaves `is_prepared()` False; it is patched True so that
  our loader, which asks first, reads the mock instead of trying the network.
  """
  with tfds.testing.mock_data(num_examples=num_examples, as_dataset_fn=as_dataset_fn), \
       mock.patch.object(tfds.core.DatasetBuilder, "is_prepared", return_value=True):
    yield


def write_images(root, sizes, fmt="PNG", mode="RGB", subdir=""):
  """Writes one random image per (height, width) under root/subdir; returns the paths written."""
  rng = np.random.default_rng(len(sizes))
  directory = root / subdir if subdir else root
  directory.mkdir(parents=True, exist_ok=True)
  paths = []
  for i, (height, width) in enumerate(sizes):
    channels = {"RGB": 3, "RGBA": 4, "L": 1}[mode]
    pixels = rng.integers(0, 256, size=(height, width, channels), dtype=np.uint8)
    path = directory / f"image{i:02d}.{'jpg' if fmt == 'JPEG' else 'png'}"
    Image.fromarray(pixels.squeeze(-1) if mode == "L" else pixels).save(path, fmt)  # Mode from the shape.
    paths.append(path)
  return paths
