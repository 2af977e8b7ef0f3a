"""`folder:PATH`: a directory of the user's own JPEG and PNG images, searched recursively. No labels.

Each image is centre-cropped to its largest square and resized, as CelebA is. The split is fixed by the sorted
paths: images 0, 10, 20, ... are the test split, the rest train; 'all' is every image.
"""

import os

import tensorflow as tf

from glow_tf.data import images
from glow_tf.data.info import DatasetInfo, resolve_image_size

PREFIX = "folder:"
DEFAULT_IMAGE_SIZE = 64
EXTENSIONS = (".jpg", ".jpeg", ".png")
TEST_EVERY = 10
SPLITS = ("train", "test", "all")


def is_folder(name):
  return isinstance(name, str) and name.startswith(PREFIX)


def info(name, image_size=None):
  size = resolve_image_size(name, image_size, DEFAULT_IMAGE_SIZE)
  paths = _image_paths(name)
  num_test = len(_split(paths, "test"))
  return DatasetInfo(
      name=name,
      image_shape=(size, size, 3),
      pixel_levels=256,
      num_classes=0,
      label_names=(),
      multi_label=False,
      default_n_bits=8,
      train_split="train",
      test_split="test",
      num_train=len(paths) - num_test,
      num_test=num_test)


def load(name, split, image_size=None):
  """Unbatched `{'image': uint8 [S, S, 3]}` of `split` ('train', 'test' or 'all'), S = image_size."""
  size = resolve_image_size(name, image_size, DEFAULT_IMAGE_SIZE)
  paths = _split(_image_paths(name), split)
  if not paths:
    raise ValueError(f"{name} has no images in its {split!r} split; it needs at least 2 images to split.")

  def decode(path):
    # expand_animations=False promises the [H, W, C] shape the crop needs; channels=3 makes grey and RGBA
    # images RGB.
    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    return {"image": images.center_crop_and_resize(image, size)}

  dataset = tf.data.Dataset.from_tensor_slices(paths)
  return dataset.map(decode, num_parallel_calls=tf.data.AUTOTUNE)


def _image_paths(name):
  """The sorted paths of the images under the folder in `name`, or a clear error if there are none."""
  root = os.path.expanduser(name[len(PREFIX):])
  if not root:
    raise ValueError(f"{name!r} names no folder; write folder:PATH, e.g. folder:/data/my_faces.")
  if not os.path.isdir(root):
    raise ValueError(f"{name}: {root} is not a directory; folder:PATH needs a directory of JPEG/PNG images.")
  paths = []
  for directory, _, files in os.walk(root, followlinks=True):
    paths.extend(os.path.join(directory, f) for f in files if f.lower().endswith(EXTENSIONS))
  if not paths:
    raise ValueError(
        f"{name}: found no images in {root} or below; folder:PATH reads files ending in "
        f"{', '.join(EXTENSIONS)} (any case).")
  return sorted(paths)


def _split(paths, split):
  if split == "all":
    return paths
  if split == "test":
    return paths[::TEST_EVERY]
  if split == "train":
    return [path for i, path in enumerate(paths) if i % TEST_EVERY]
  raise ValueError(f"Unknown split {split!r} for folder:PATH; choose one of {', '.join(map(repr, SPLITS))}.")
