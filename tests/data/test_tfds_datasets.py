"""The tfds datasets through the real tfds loading code, on `tfds.testing.mock_data`: nothing downloads here."""

import dataclasses
import socket
import time
from unittest import mock

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from glow_tf import data
from glow_tf.data import tfds_datasets
from tests.data.helpers import mocked_tfds

TFDS_NAMES = ("celeb_a", "cifar10", "mnist", "fashion_mnist", "svhn_cropped")


@pytest.mark.parametrize("name", TFDS_NAMES)
def test_examples_have_the_shape_and_labels_info_promises(mock_tfds, name):
  info = data.dataset_info(name)
  examples = list(data.load_pixels(name, "train").as_numpy_iterator())
  assert len(examples) == 4
  for example in examples:
    assert example["image"].shape == info.image_shape and example["image"].dtype == np.uint8
    if info.multi_label:
      assert example["label"].shape == (40,) and example["label"].dtype == np.float32
      assert set(np.unique(example["label"])) <= {0.0, 1.0}
    else:
      assert example["label"].shape == () and example["label"].dtype == np.int32
      assert 0 <= example["label"] < info.num_classes


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist", "svhn_cropped"])
def test_class_names_are_tfds_own(mock_tfds, name):
  assert tfds.builder(name).info.features["label"].names == list(data.dataset_info(name).label_names)


def test_celeb_a_crops_the_central_148_square_and_orders_attributes_as_label_names():
  # Faces whose central 148x148 square is white inside a black frame, smiling and young.
  image = np.zeros((218, 178, 3), np.uint8)
  image[35:183, 15:163] = 255
  smiling_and_young = {name: name in ("Smiling", "Young") for name in tfds_datasets.CELEB_A_ATTRIBUTES}

  def as_dataset(self, split, **kwargs):
    del self, split, kwargs
    return tf.data.Dataset.from_tensors({"image": image, "attributes": smiling_and_young}).repeat(2)

  with mocked_tfds(as_dataset_fn=as_dataset):
    examples = list(data.load_pixels("celeb_a", "test", image_size=32).as_numpy_iterator())
  assert len(examples) == 2
  assert examples[0]["image"].shape == (32, 32, 3) and (examples[0]["image"] == 255).all()
  label_names = data.dataset_info("celeb_a").label_names
  assert [label_names[i] for i in np.flatnonzero(examples[0]["label"])] == ["Smiling", "Young"]


def test_celeb_a_attribute_names_are_tfds_own(mock_tfds):
  attributes = tfds.builder("celeb_a").info.features["attributes"]
  assert sorted(attributes.keys()) == sorted(data.dataset_info("celeb_a").label_names)


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_mnist_pads_to_32_by_default_and_is_unchanged_at_28(mock_tfds, name):
  raw = next(tfds.load(name, split="train").as_numpy_iterator())["image"]
  padded = next(data.load_pixels(name, "train").as_numpy_iterator())["image"]
  assert padded.shape == (32, 32, 1)
  np.testing.assert_array_equal(padded[2:30, 2:30], raw)
  assert padded.sum() == raw.sum()
  unpadded = next(data.load_pixels(name, "train", image_size=28).as_numpy_iterator())["image"]
  np.testing.assert_array_equal(unpadded, raw)


def test_a_prepared_copy_is_read_without_touching_the_network(mock_tfds):
  with mock.patch.object(socket, "create_connection", side_effect=AssertionError("tried the network")):
    assert len(list(data.load_pixels("cifar10", "test", data_dir="/prepared/copy"))) == 4


def test_unreachable_download_fails_fast_with_what_to_do(tmp_path, monkeypatch):
  # .invalid never resolves (RFC 2606): the same "no network" whether or not this machine has one.
  spec = dataclasses.replace(tfds_datasets.SPECS["celeb_a"], download_url="https://celeb-a.invalid/")
  monkeypatch.setitem(tfds_datasets.SPECS, "celeb_a", spec)
  start = time.monotonic()
  with pytest.raises(data.DatasetUnavailableError) as raised:
    data.load_pixels("celeb_a", "train", data_dir=str(tmp_path))
  assert time.monotonic() - start < 30
  message = str(raised.value)
  assert f"'celeb_a' is not in {tmp_path}/celeb_a/" in message and "cannot reach celeb-a.invalid" in message
  for way_out in ("network access", "data_dir (--data_dir)", "folder:PATH"):
    assert way_out in message
  assert raised.value.__cause__ is None and raised.value.__suppress_context__  # No trace from inside tfds.


def test_a_failed_download_is_reported_as_unavailable(tmp_path):
  with mock.patch.object(socket, "create_connection"), \
       mock.patch.object(tfds.core.DatasetBuilder, "download_and_prepare",
                         side_effect=ConnectionError("Max retries exceeded")):
    with pytest.raises(data.DatasetUnavailableError, match="(?s)ConnectionError: Max retries exceeded.*folder:PATH"):
      data.load_pixels("mnist", "train", data_dir=str(tmp_path))


def test_fixed_size_datasets_name_their_sizes():
  with pytest.raises(data.ImageSizeError, match="cifar10 images come at image_size 32, not 64"):
    data.dataset_info("cifar10", image_size=64)
  with pytest.raises(data.ImageSizeError, match="mnist images come at image_size 32 or 28, not 30"):
    data.dataset_info("mnist", image_size=30)
  assert data.dataset_info("celeb_a", image_size=128).image_shape == (128, 128, 3)


def test_a_module_tfds_lacks_for_downloading_is_named():
  missing = ModuleNotFoundError("No module named 'importlib_resources'", name="importlib_resources")
  with mock.patch.object(socket, "create_connection"), \
       mock.patch.object(tfds.core.DatasetBuilder, "download_and_prepare", side_effect=missing):
    with pytest.raises(data.DatasetUnavailableError, match="pip install importlib_resources"):
      data.load_pixels("mnist", "train", data_dir="/nonexistent/data_dir")
