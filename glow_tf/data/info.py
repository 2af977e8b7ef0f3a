"""What every dataset source shares: `DatasetInfo`, the paper's architectures, the errors, and the rule for choosing
an image size."""

import dataclasses
from typing import Any, Mapping, Optional


@dataclasses.dataclass(frozen=True)
class Architecture:
  """The `GlowConfig` fields that size a model."""

  levels: int
  steps_per_level: int
  hidden_channels: int
  coupling: str


# The reference's architectures (Kingma & Dhariwal 2018, and openai/glow's scripts).
PAPER_CIFAR10 = Architecture(levels=3, steps_per_level=32, hidden_channels=512, coupling="affine")
PAPER_MNIST = Architecture(levels=3, steps_per_level=16, hidden_channels=256, coupling="affine")
# CelebA-HQ's choices (additive coupling, 5 bits), one level fewer for 64x64.
PAPER_CELEB_A_HQ_AT_64 = Architecture(levels=4, steps_per_level=32, hidden_channels=512, coupling="additive")
# The temperatures the paper shows faces at.
FACE_TEMPERATURES = (0.0, 0.25, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
  """What a model needs to know about a dataset before it sees a pixel.

  Attributes:
    name: the dataset's name as given to `load_pixels`, e.g. `"celeb_a"` or `"folder:/data/faces"`.
    image_shape: `(height, width, channels)` of the images after cropping and resizing.
    pixel_levels: distinct values a raw pixel takes: 256 for 8-bit images, 17 for scikit-learn's digits.
    num_classes: classes (or, for `multi_label`, attributes) a conditional model can use; 0 for none.
    label_names: the class names, or CelebA's 40 attribute names, in label order.
    multi_label: whether labels are multi-hot attribute vectors rather than class ids.
    default_n_bits: the bits per pixel usually modelled (5 for faces, as in the paper; 8 keeps everything).
    train_split: the split to train on.
    test_split: the split to evaluate on.
    num_train: examples in `train_split`, if known.
    num_test: examples in `test_split`, if known.
    paper_architecture: the reference's architecture for such data (`--preset=paper`), if it has one.
    measured_architecture: an architecture measured on this dataset, used instead of any other (digits').
    measured_training: with it, the `TrainConfig` fields measured for it; the rest are `TrainConfig`'s defaults.
    sample_temperatures: the temperatures of its sample grids, if not `TrainConfig`'s.
  """

  name: str
  image_shape: tuple[int, int, int]
  pixel_levels: int
  num_classes: int
  label_names: tuple[str, ...]
  multi_label: bool
  default_n_bits: int
  train_split: str
  test_split: str
  num_train: Optional[int] = None
  num_test: Optional[int] = None
  paper_architecture: Optional[Architecture] = None
  measured_architecture: Optional[Architecture] = None
  measured_training: Optional[Mapping[str, Any]] = None
  sample_temperatures: Optional[tuple[float, ...]] = None


class DatasetUnavailableError(RuntimeError):
  """A dataset is neither in the data directory nor downloadable from this machine."""


class ImageSizeError(ValueError):
  """A dataset cannot be delivered at the requested image size."""


def resolve_image_size(name, image_size, default, choices=None):
  """`image_size`, or `default` when it is None, checked against the sizes `name` offers.

  Args:
    name: the dataset, for the error message.
    image_size: the requested height and width, or None for the dataset's default.
    default: the dataset's default size.
    choices: the only sizes the dataset offers, or None if it resizes to any size.
  """
  if image_size is None:
    return default
  if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 1:
    raise ImageSizeError(f"image_size must be a whole number of pixels >= 1, got {image_size!r}.")
  if choices is not None and image_size not in choices:
    offered = " or ".join(str(size) for size in choices)
    raise ImageSizeError(
        f"{name} images come at image_size {offered}, not {image_size}; only celeb_a and folder:PATH "
        f"are resized to any size.")
  return image_size
