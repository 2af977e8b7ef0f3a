"""The digits path runs on the real data: it ships with scikit-learn."""

import numpy as np
import pytest

from glow_tf import data


def as_arrays(dataset):
  examples = list(dataset.as_numpy_iterator())
  return np.stack([e["image"] for e in examples]), np.array([e["label"] for e in examples])


def test_info():
  info = data.dataset_info("digits")
  assert info.image_shape == (8, 8, 1) and info.pixel_levels == 17
  assert info.num_classes == 10 and not info.multi_label and info.default_n_bits == 8
  assert (info.num_train, info.num_test) == (1500, 297)


def test_splits_are_fixed_disjoint_and_cover_the_dataset():
  train_images, train_labels = as_arrays(data.load_pixels("digits", "train"))
  test_images, test_labels = as_arrays(data.load_pixels("digits", "test"))
  all_images, _ = as_arrays(data.load_pixels("digits", "all"))
  assert len(train_images) == 1500 and len(test_images) == 297
  np.testing.assert_array_equal(np.concatenate([train_images, test_images]), all_images)
  # Every digit is in both splits in near-equal numbers.
  assert np.bincount(train_labels).min() >= 140 and np.bincount(test_labels).min() >= 25
  np.testing.assert_array_equal(as_arrays(data.load_pixels("digits", "test"))[0], test_images)


def test_images_are_17_level_uint8_with_int32_labels():
  dataset = data.load_pixels("digits", "all")
  assert dataset.element_spec["image"].shape == (8, 8, 1)
  assert dataset.element_spec["image"].dtype.name == "uint8"
  assert dataset.element_spec["label"].dtype.name == "int32"
  images, labels = as_arrays(dataset)
  assert set(np.unique(images)) == set(range(17))
  assert set(labels) == set(range(10))


def test_only_its_own_size_and_splits():
  with pytest.raises(data.ImageSizeError, match="digits images come at image_size 8, not 16"):
    data.dataset_info("digits", image_size=16)
  with pytest.raises(ValueError, match="Unknown split 'validation' for digits; choose one of 'train', 'test'"):
    data.load_pixels("digits", "validation")
