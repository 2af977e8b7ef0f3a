"""The datasets read through `tensorflow_datasets`: CelebA, CIFAR-10, MNIST, Fashion-MNIST and SVHN.

A dataset not yet in the data directory (default `~/tensorflow_datasets`) is downloaded and prepared once. CelebA,
whose download often fails, is also read from its original files in the data directory (see `celeb_a_files`)
when tfds has no prepared copy there. When none of this can work, `DatasetUnavailableError` says so within
seconds and how to fix it, rather than tfds retrying for minutes and ending in a stack trace from deep inside it.
"""

import dataclasses
import os
import socket
from typing import Optional
import urllib.parse

import tensorflow as tf

from glow_tf.data import celeb_a_files, geometry
from glow_tf.data.info import (FACE_TEMPERATURES, PAPER_CELEB_A_HQ_AT_64, PAPER_CIFAR10, PAPER_MNIST, Architecture,
                               DatasetInfo, DatasetUnavailableError, resolve_image_size)

# How long to wait for a dataset's download server before calling it unreachable.
CONNECT_TIMEOUT_SECONDS = 10

CELEB_A_ATTRIBUTES = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs", "Big_Lips",
    "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows", "Chubby", "Double_Chin",
    "Eyeglasses", "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones", "Male", "Mouth_Slightly_Open",
    "Mustache", "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin", "Pointy_Nose", "Receding_Hairline",
    "Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair", "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat",
    "Wearing_Lipstick", "Wearing_Necklace", "Wearing_Necktie", "Young")
DIGIT_NAMES = tuple(str(digit) for digit in range(10))


@dataclasses.dataclass(frozen=True)
class TfdsSpec:
  """How one tfds dataset becomes square uint8 images with labels.

  Attributes:
    channels: the images' channels.
    default_size: the image size when none is asked for.
    sizes: the only image sizes offered, or None if any size is (by centre crop and resize).
    crop_size: the side of the central square cropped before resizing (None: the largest square).
    pad_from: for images padded up to `default_size`, their stored size: at that size the image is returned
      as stored, at `default_size` it is padded.
    label_names: class names, or attribute names for `multi_label` datasets.
    multi_label: labels are boolean attributes (CelebA), delivered as a multi-hot float vector.
    default_n_bits: the bits per pixel usually modelled.
    num_train, num_test: the sizes of the 'train' and 'test' splits.
    download_url: where tfds downloads from: checked for reachability before a download is attempted.
    original_files: whether the dataset can be read from its original files (`celeb_a_files`).
    paper_architecture: the reference's architecture for it (`--preset=paper`).
    faces: sample grids at the paper's temperatures for faces.
  """

  channels: int
  default_size: int
  sizes: Optional[tuple[int, ...]]
  label_names: tuple[str, ...]
  num_train: int
  num_test: int
  download_url: str
  paper_architecture: Architecture
  crop_size: Optional[int] = None
  pad_from: Optional[int] = None
  multi_label: bool = False
  default_n_bits: int = 8
  original_files: bool = False
  faces: bool = False


SPECS = {
    # 218x178 aligned faces; the usual crop of the central 148x148 square keeps the face and drops background.
    "celeb_a": TfdsSpec(
        channels=3, default_size=64, sizes=None, crop_size=148, label_names=CELEB_A_ATTRIBUTES,
        multi_label=True, default_n_bits=5, num_train=162770, num_test=19962,
        download_url="https://drive.google.com/", original_files=True, paper_architecture=PAPER_CELEB_A_HQ_AT_64,
        faces=True),
    "cifar10": TfdsSpec(
        channels=3, default_size=32, sizes=(32,), num_train=50000, num_test=10000,
        label_names=("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
        download_url="https://www.cs.toronto.edu/", paper_architecture=PAPER_CIFAR10),
    # 28 is not divisible by 2**levels for levels >= 3, so the default pads to 32 (see images.pad_to).
    "mnist": TfdsSpec(
        channels=1, default_size=32, sizes=(32, 28), pad_from=28, label_names=DIGIT_NAMES, num_train=60000,
        num_test=10000, download_url="https://storage.googleapis.com/", paper_architecture=PAPER_MNIST),
    "fashion_mnist": TfdsSpec(
        channels=1, default_size=32, sizes=(32, 28), pad_from=28, num_train=60000, num_test=10000,
        label_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                     "Ankle boot"),
        download_url="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", paper_architecture=PAPER_MNIST),
    "svhn_cropped": TfdsSpec(
        channels=3, default_size=32, sizes=(32,), label_names=DIGIT_NAMES, num_train=73257, num_test=26032,
        download_url="http://ufldl.stanford.edu/", paper_architecture=PAPER_CIFAR10),
}


def info(name, image_size=None):
  spec = SPECS[name]
  size = resolve_image_size(name, image_size, spec.default_size, spec.sizes)
  return DatasetInfo(
      name=name,
      image_shape=(size, size, spec.channels),
      pixel_levels=256,
      num_classes=len(spec.label_names),
      label_names=spec.label_names,
      multi_label=spec.multi_label,
      default_n_bits=spec.default_n_bits,
      train_split="train",
      test_split="test",
      num_train=spec.num_train,
      num_test=spec.num_test,
      paper_architecture=spec.paper_architecture,
      sample_temperatures=FACE_TEMPERATURES if spec.faces else None)


def load(name, split, image_size=None, data_dir=None):
  """Unbatched `{'image': uint8 [S, S, C], 'label': ...}` of a tfds split (any tfds split string).

  The label is an int32 class id, or for CelebA a float32 multi-hot vector over `CELEB_A_ATTRIBUTES`. CelebA's
  original files, when tfds has no prepared copy in `data_dir`, offer the splits 'train', 'validation', 'test'
  and 'all'.

  Raises:
    DatasetUnavailableError: the dataset is not in `data_dir` and cannot be downloaded.
  """
  spec = SPECS[name]
  size = resolve_image_size(name, image_size, spec.default_size, spec.sizes)

  def prepare_image(image):
    if spec.pad_from is not None:
      return image if size == spec.pad_from else geometry.pad_to(image, size)
    return geometry.center_crop_and_resize(image, size, spec.crop_size)

  if spec.original_files and not _has_prepared_copy(name, data_dir):
    original_files = celeb_a_files.find(data_dir)
    if original_files:
      return celeb_a_files.load(original_files, split, spec.label_names, prepare_image)
  dataset = _prepared(_builder(name, data_dir), name, spec).as_dataset(split=split)

  def convert(example):
    image = prepare_image(example["image"])
    if spec.multi_label:
      attributes = example["attributes"]
      label = tf.cast(tf.stack([attributes[a] for a in spec.label_names]), tf.float32)  # [40]
    else:
      label = tf.cast(example["label"], tf.int32)
    return {"image": image, "label": label}

  return dataset.map(convert, num_parallel_calls=tf.data.AUTOTUNE)


def _has_prepared_copy(name, data_dir):
  # tfds keeps its copy in DATA_DIR/<name>/; a builder asked about a missing one logs a confusing warning.
  if data_dir and not os.path.isdir(os.path.join(os.path.expanduser(data_dir), name)):
    return False
  return _builder(name, data_dir).is_prepared()


def _builder(name, data_dir):
  # Imported here: tensorflow_datasets takes a quarter of a second to import, which every process paid, those
  # that train on digits or a folder included.
  import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top

  return tfds.builder(name, data_dir=data_dir)


def _prepared(builder, name, spec):
  """The dataset's tfds builder, its data downloaded and prepared if they were not already."""
  if builder.is_prepared():
    return builder
  # tfds retries an unreachable server for minutes before failing; one short connection attempt tells sooner.
  url = urllib.parse.urlsplit(spec.download_url)
  port = url.port or (80 if url.scheme == "http" else 443)
  try:
    socket.create_connection((url.hostname, port), timeout=CONNECT_TIMEOUT_SECONDS).close()
  except OSError as error:
    raise DatasetUnavailableError(
        _unavailable(name, spec, builder, f"cannot reach {url.hostname}: {error}")) from None
  try:
    builder.download_and_prepare()
  except ModuleNotFoundError as error:
    # tfds 4.9 on Python 3.11 downloads through importlib_resources, which pip does not install with it.
    raise DatasetUnavailableError(_unavailable(
        name, spec, builder, f"tfds needs the module {error.name!r} to download: pip install {error.name}")) from None
  except Exception as error:  # Whatever went wrong inside tfds, the way out is one of the same three.
    raise DatasetUnavailableError(
        _unavailable(name, spec, builder, f"{type(error).__name__}: {error}")) from None
  return builder


def _unavailable(name, spec, builder, reason):
  original_files = (
      f"  - pass data_dir (--data_dir) pointing at a directory holding CelebA's original files, from the authors' "
      f"Google Drive or the Kaggle mirror: the {celeb_a_files.IMAGE_FOLDER}/ JPEGs with "
      f"{celeb_a_files.ATTRIBUTE_LIST}.txt and {celeb_a_files.PARTITION_LIST}.txt (or the .csv of both), up to "
      f"{celeb_a_files.SEARCH_DEPTH} folders below it;\n") if spec.original_files else ""
  return (
      f"Dataset {name!r} is not in {builder.data_path} and could not be downloaded ({reason}).\n"
      f"To fix this, do one of:\n"
      f"  - run with network access once: tfds downloads and prepares it there;\n"
      f"  - pass data_dir (--data_dir) pointing at a directory holding a copy prepared elsewhere, laid out as "
      f"DIR/{name}/{builder.version}/ (e.g. made with `tfds build {name} --data_dir=DIR`);\n"
      f"{original_files}"
      f"  - train on your own JPEG/PNG images instead: dataset folder:PATH.")
