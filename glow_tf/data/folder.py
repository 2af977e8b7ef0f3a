"""`folder:PATH`: a directory of the user's own JPEG and PNG images, unlabelled or one subfolder per class.

- Images directly in PATH are unlabelled.
- Images in subfolders of PATH are labelled by their subfolder (searched recursively below it): the layout of
  torchvision's ImageFolder and Keras' `image_dataset_from_directory`. Class ids follow the sorted folder names.
- Both at once is an error, as is a class folder without images; folders whose name starts with "." are ignored.

A folder whose images are all grayscale gives 1-channel images, one whose images are all colour 3 channels (an
alpha channel is dropped); a mix is an error unless `channels` says which to convert to. A file that cannot be
read as an image is skipped and counted in a warning; one whose header reads but whose pixels do not decode is
skipped when it is reached, with a warning in the log. Each image is centre-cropped to its largest square and
resized, as CelebA is: by default to the images' own size (the median of their shorter sides), rounded down to
a multiple of 4 and at most 64. The split is fixed by the sorted paths: images 0, 10, 20, ... are the test split, the
rest train; 'all' is every image.
"""

import dataclasses
import functools
import os

from absl import logging
from PIL import Image
import tensorflow as tf

from glow_tf.data import geometry
from glow_tf.data.info import FACE_TEMPERATURES, PAPER_CELEB_A_HQ_AT_64, DatasetInfo, resolve_image_size

PREFIX = "folder:"
# A folder's default image size is its images' own, within these bounds; a multiple of this, so that a model of
# two levels or more fits.
MIN_DEFAULT_IMAGE_SIZE, MAX_DEFAULT_IMAGE_SIZE, DEFAULT_IMAGE_SIZE_MULTIPLE = 8, 64, 4
# The paper's preset takes a folder for faces, at CelebA's 64x64, unless an image size is asked for.
PAPER_IMAGE_SIZE = 64
EXTENSIONS = (".jpg", ".jpeg", ".png")
TEST_EVERY = 10
SPLITS = ("train", "test", "all")
CHANNELS = (1, 3)
# PIL's modes of images without colour.
_GRAYSCALE_MODES = ("1", "L", "LA", "I", "I;16", "F")


@dataclasses.dataclass(frozen=True)
class _Contents:
  """What a folder holds: its readable images' sorted paths, their class ids, the class names, grey or colour, and
  the length of each one's shorter side."""

  paths: tuple[str, ...]
  labels: tuple[int, ...]
  class_names: tuple[str, ...]
  grayscale: tuple[bool, ...]
  shorter_sides: tuple[int, ...]

  @property
  def default_image_size(self):
    median = sorted(self.shorter_sides)[len(self.shorter_sides) // 2]
    size = median // DEFAULT_IMAGE_SIZE_MULTIPLE * DEFAULT_IMAGE_SIZE_MULTIPLE
    return min(max(size, MIN_DEFAULT_IMAGE_SIZE), MAX_DEFAULT_IMAGE_SIZE)


def is_folder(name):
  return isinstance(name, str) and name.startswith(PREFIX)


def info(name, image_size=None, channels=None):
  contents, channels = _contents_and_channels(name, channels)
  size = resolve_image_size(name, image_size, contents.default_image_size)
  num_test = len(_split(contents.paths, "test"))
  return DatasetInfo(
      name=name,
      image_shape=(size, size, channels),
      pixel_levels=256,
      num_classes=len(contents.class_names),
      label_names=contents.class_names,
      multi_label=False,
      default_n_bits=8,
      train_split="train",
      test_split="test",
      num_train=len(contents.paths) - num_test,
      num_test=num_test,
      paper_architecture=PAPER_CELEB_A_HQ_AT_64,
      sample_temperatures=FACE_TEMPERATURES)


def load(name, split, image_size=None, channels=None):
  """Unbatched `{'image': uint8 [S, S, C]}` of `split` ('train', 'test' or 'all'), S = image_size, plus an
  int32 'label' for class folders; C as `info` gives it."""
  contents, channels = _contents_and_channels(name, channels)
  size = resolve_image_size(name, image_size, contents.default_image_size)
  paths, labels = _split(contents.paths, split), _split(contents.labels, split)
  if not paths:
    raise ValueError(f"{name} has no images in its {split!r} split; it needs at least 2 images to split.")

  def decode(example):
    # expand_animations=False promises the [H, W, C] shape the crop needs.
    image = tf.io.decode_image(tf.io.read_file(example.pop("path")), channels=channels, expand_animations=False)
    return {"image": geometry.center_crop_and_resize(image, size), **example}

  examples = {"path": list(paths)}
  if contents.class_names:
    examples["label"] = tf.constant(labels, tf.int32)
  dataset = tf.data.Dataset.from_tensor_slices(examples)
  return dataset.map(decode, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors(log_warning=True)


def _contents_and_channels(name, channels):
  """The folder's `_Contents` and the channels its images are delivered with (`channels`, or the images' own)."""
  if channels is not None and channels not in CHANNELS:  # Before reading the folder, which may be large.
    raise ValueError(f"channels must be 1 (grayscale) or 3 (RGB), got {channels!r}.")
  contents = _contents(name)
  if channels is not None:
    return contents, channels
  grey = sum(contents.grayscale)
  if grey == len(contents.paths):
    return contents, 1
  if not grey:
    return contents, 3
  example = next(path for path, is_grey in zip(contents.paths, contents.grayscale) if is_grey)
  raise ValueError(
      f"{name} mixes {grey} grayscale images (e.g. {example}) with {len(contents.paths) - grey} colour ones; "
      f"choose the channels to convert them all to: 3 (--channels=3) or 1 (--channels=1).")


def _contents(name):
  root = os.path.expanduser(name[len(PREFIX):])
  if not root:
    raise ValueError(f"{name!r} names no folder; write folder:PATH, e.g. folder:/data/my_faces.")
  if not os.path.isdir(root):
    raise ValueError(f"{name}: {root} is not a directory; folder:PATH needs a directory of JPEG/PNG images.")
  # The folder's modification time is in the key, so that adding or removing images is seen.
  return _read_contents(name, os.path.abspath(root), os.stat(root).st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _read_contents(name, root, modified):
  """A folder's `_Contents`, its images' headers read once (PIL reads no pixels for this)."""
  del modified
  entries = sorted(os.scandir(root), key=lambda entry: entry.name)
  loose = [entry.path for entry in entries if entry.is_file() and _is_image(entry.name)]
  class_folders = [entry for entry in entries if entry.is_dir() and not entry.name.startswith(".")]
  class_images = {folder.name: _images_below(folder.path) for folder in class_folders}
  class_images = {folder: paths for folder, paths in class_images.items() if paths or not loose}
  if loose and class_images:
    raise ValueError(
        f"{name} has both images directly in it (e.g. {os.path.basename(loose[0])}) and class subfolders with "
        f"images ({', '.join(sorted(class_images)[:3])}): put every image in a class folder for labels, or "
        f"move the subfolders out for an unlabelled folder.")
  empty = [folder for folder, paths in class_images.items() if not paths]
  if empty and len(empty) < len(class_images):
    raise ValueError(
        f"{name}: the class folder{'s' if len(empty) > 1 else ''} {', '.join(empty)} hold{'' if len(empty) > 1 else 's'} "
        f"no JPEG/PNG images; remove {'them' if len(empty) > 1 else 'it'}, or add images.")
  if loose:
    class_names, labelled = (), [(path, 0) for path in loose]
  else:
    class_names = tuple(sorted(class_images))
    labelled = [(path, label) for label, folder in enumerate(class_names) for path in class_images[folder]]
  if not labelled:
    raise ValueError(
        f"{name}: found no images in {root} or its subfolders; folder:PATH reads files ending in "
        f"{', '.join(EXTENSIONS)} (any case).")
  readable, grayscale, shorter_sides, unreadable = [], [], [], []
  for path, label in sorted(labelled):
    try:
      with Image.open(path) as image:
        grayscale.append(image.mode in _GRAYSCALE_MODES)
        shorter_sides.append(min(image.size))
      readable.append((path, label))
    except (OSError, SyntaxError, ValueError) as error:  # What PIL raises for files that are not images.
      unreadable.append(f"{path} ({error})")
  if unreadable:
    logging.warning("%s: skipped %d files that cannot be read as images, e.g. %s", name, len(unreadable),
                    unreadable[0])
  if not readable:
    raise ValueError(f"{name}: none of its {len(labelled)} image files can be read, e.g. {unreadable[0]}.")
  paths, labels = zip(*readable)
  return _Contents(paths, labels if class_names else (), class_names, tuple(grayscale), tuple(shorter_sides))


def _is_image(file_name):
  return file_name.lower().endswith(EXTENSIONS)


def _images_below(directory):
  paths = []
  for parent, subdirectories, files in os.walk(directory, followlinks=True):
    subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]
    paths.extend(os.path.join(parent, f) for f in files if _is_image(f))
  return paths


def _split(items, split):
  if split == "all":
    return items
  if split == "test":
    return items[::TEST_EVERY]
  if split == "train":
    return [item for i, item in enumerate(items) if i % TEST_EVERY]
  raise ValueError(f"Unknown split {split!r} for folder:PATH; choose one of {', '.join(map(repr, SPLITS))}.")
