"""Dataset names, and the one place that sends a name to the source that reads it."""

from glow_tf.choices import DATASETS as DATASET_NAMES
from glow_tf.data import digits, folder, tfds_datasets


def dataset_info(name, image_size=None, channels=None):
  """The `DatasetInfo` of `name` delivered at `image_size`.

  Args:
    name: one of `DATASET_NAMES`, or `"folder:PATH"` for a directory of JPEG/PNG images.
    image_size: the images' height and width, or None for the dataset's default: 8 for digits, 32 for
      CIFAR-10 and SVHN, 32 for MNIST and Fashion-MNIST (28x28 padded; 28 gives them unpadded), 64 for
      CelebA, and for a folder its images' own size rounded down to a multiple of 4, at most 64 (CelebA and
      folders are centre-cropped and resized to any size).
    channels: 1 or 3 to convert a folder's images to grayscale or RGB, or None for the dataset's own (a
      folder's: 1 if all its images are grayscale, 3 if all are colour). Other datasets come only in their own.
  """
  if folder.is_folder(name):
    return folder.info(name, image_size, channels)
  info = digits.info(image_size) if name == digits.NAME else tfds_datasets.info(_checked(name), image_size)
  if channels not in (None, info.image_shape[2]):
    raise ValueError(f"{name} images have {info.image_shape[2]} channel(s), not {channels}; only folder:PATH "
                     f"images are converted between grayscale and RGB.")
  return info


def load_pixels(name, split, image_size=None, data_dir=None, channels=None):
  """The examples of one split as an unbatched `tf.data.Dataset` of uint8 images and their labels.

  Args:
    name: one of `DATASET_NAMES`, or `"folder:PATH"`.
    split: a tfds split string ('train', 'test', 'train[:10%]', ...) for tfds datasets; 'train', 'test' or
      'all' for digits and folders.
    image_size: as for `dataset_info`.
    data_dir: where tfds keeps its datasets (default ~/tensorflow_datasets), or CelebA's original files;
      unused by digits and folders.
    channels: as for `dataset_info`.

  Returns:
    Dicts `{'image': uint8 [H, W, C], 'label': ...}`; the label is an int32 class id, or a float32 multi-hot
    `[40]` attribute vector for celeb_a; folders of loose images have no 'label'.

  Raises:
    DatasetUnavailableError: a tfds dataset is not in `data_dir` and cannot be downloaded.
  """
  dataset_info(name, image_size, channels)  # Checks the channels.
  if folder.is_folder(name):
    return folder.load(name, split, image_size, channels)
  if name == digits.NAME:
    return digits.load(split, image_size)
  return tfds_datasets.load(_checked(name), split, image_size, data_dir)


def _checked(name):
  if name not in tfds_datasets.SPECS:
    choices = ", ".join(repr(known) for known in DATASET_NAMES)
    raise ValueError(
        f"Unknown dataset {name!r}; choose one of {choices}, or 'folder:PATH' for a directory of your own "
        f"JPEG/PNG images.")
  return name
