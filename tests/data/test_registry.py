import pytest

from glow_tf import data
from glow_tf.data import digits, tfds_datasets


def test_names():
  assert data.DATASET_NAMES == ("digits", "celeb_a", "cifar10", "mnist", "fashion_mnist", "svhn_cropped")


@pytest.mark.parametrize("name, shape, levels, classes, n_bits", [
    ("digits", (8, 8, 1), 17, 10, 8),
    ("celeb_a", (64, 64, 3), 256, 40, 5),
    ("cifar10", (32, 32, 3), 256, 10, 8),
    ("mnist", (32, 32, 1), 256, 10, 8),
    ("fashion_mnist", (32, 32, 1), 256, 10, 8),
    ("svhn_cropped", (32, 32, 3), 256, 10, 8),
])
def test_default_info(name, shape, levels, classes, n_bits):
  info = data.dataset_info(name)
  assert (info.name, info.image_shape, info.pixel_levels, info.num_classes, info.default_n_bits) == (
      name, shape, levels, classes, n_bits)
  assert len(info.label_names) == classes and info.multi_label == (name == "celeb_a")
  assert (info.train_split, info.test_split) == ("train", "test")
  assert info.num_train > info.num_test > 0


def test_info_is_frozen():
  with pytest.raises(AttributeError):
    data.dataset_info("digits").pixel_levels = 256


def test_unknown_names_list_the_choices():
  message = ("Unknown dataset 'celeba'; choose one of 'digits', 'celeb_a', 'cifar10', 'mnist', 'fashion_mnist', "
             "'svhn_cropped', or 'folder:PATH' for a directory of your own JPEG/PNG images.")
  with pytest.raises(ValueError) as raised:
    data.dataset_info("celeba")
  assert str(raised.value) == message
  with pytest.raises(ValueError, match="Unknown dataset 'celeba'"):
    data.load_pixels("celeba", "train")


@pytest.mark.parametrize("image_size", [0, -8, 8.0, "64", True])
def test_image_size_must_be_a_positive_whole_number(image_size):
  with pytest.raises(data.ImageSizeError, match="image_size must be a whole number of pixels >= 1"):
    data.dataset_info("celeb_a", image_size=image_size)


def test_the_dataset_names_are_digits_and_the_tfds_specs():
  # choices.DATASETS is the list the flags' help and the README show; each name needs a reader.
  assert set(data.DATASET_NAMES) == {digits.NAME, *tfds_datasets.SPECS}
