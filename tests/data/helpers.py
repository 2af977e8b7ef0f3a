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


CELEB_A_SIZE = (218, 178)


def write_class_folders(root, images_per_class, mode="RGB", size=(12, 10)):
  """One subfolder of `root` per entry of {class name: image count}, with that many PNGs of `size`."""
  for name, count in images_per_class.items():
    write_images(root, [size] * count, mode=mode, subdir=name)
  return f"folder:{root}"


def write_celeb_a_files(root, layout, partitions=(0, 0, 0, 1, 2, 2), header_order=None):
  """A tiny copy of CelebA's original files under `root`, one image per entry of `partitions`.

  `layout` is "authors" (Img/, Anno/, Eval/ with .txt lists) or "kaggle" (.csv lists, the images in
  img_align_celeba/img_align_celeba/). Image i's central 148x148 square is grey level 40 * i, the rest black;
  attribute j of image i is set when (i + j) % 3 == 0. Returns {file name: (partition, attribute vector)}.
  """
  from glow_tf.data.tfds_datasets import CELEB_A_ATTRIBUTES  # pylint: disable=g-import-not-at-top
  names = list(header_order or CELEB_A_ATTRIBUTES)
  kaggle = layout == "kaggle"
  images = root / "img_align_celeba" / "img_align_celeba" if kaggle else root / "Img" / "img_align_celeba"
  images.mkdir(parents=True)
  lists = {"attr": root if kaggle else root / "Anno", "partition": root if kaggle else root / "Eval"}
  for directory in lists.values():
    directory.mkdir(parents=True, exist_ok=True)
  expected, attribute_rows, partition_rows = {}, [], []
  for i, partition in enumerate(partitions):
    file_name = f"{i + 1:06d}.jpg"
    pixels = np.zeros((*CELEB_A_SIZE, 3), np.uint8)
    top, left = (CELEB_A_SIZE[0] - 148) // 2, (CELEB_A_SIZE[1] - 148) // 2
    pixels[top:top + 148, left:left + 148] = 40 * i
    Image.fromarray(pixels).save(images / file_name, "JPEG", quality=95)
    values = {name: 1 if (i + j) % 3 == 0 else -1 for j, name in enumerate(CELEB_A_ATTRIBUTES)}
    expected[file_name] = (partition, np.array([values[name] > 0 for name in CELEB_A_ATTRIBUTES], np.float32))
    attribute_rows.append([file_name, *(str(values[name]) for name in names)])
    partition_rows.append([file_name, str(partition)])
  if kaggle:
    (lists["attr"] / "list_attr_celeba.csv").write_text(
        "\n".join(",".join(row) for row in [["image_id", *names], *attribute_rows]) + "\n")
    (lists["partition"] / "list_eval_partition.csv").write_text(
        "\n".join(",".join(row) for row in [["image_id", "partition"], *partition_rows]) + "\n")
  else:
    (lists["attr"] / "list_attr_celeba.txt").write_text(
        f"{len(partitions)}\n{' '.join(names)}\n" + "".join(f"{row[0]} {'  '.join(row[1:])}\n" for row in attribute_rows))
    (lists["partition"] / "list_eval_partition.txt").write_text("".join(f"{a} {b}\n" for a, b in partition_rows))
  return expected
