"""make_pipeline on the real digits, on folders of written images, and on mocked tfds datasets."""

import dataclasses
import itertools

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import GlowConfig, data
from glow_tf.data import pipeline
from tests.data.helpers import write_images

DIGITS = GlowConfig(image_shape=(8, 8, 1), levels=3, steps_per_level=1, hidden_channels=8, pixel_levels=17)


def bins_and_noise(x, n_bins):
  """Splits model-space images into their integer bins and the dequantisation noise added to them."""
  bins = np.floor((x + 0.5) * n_bins)
  return bins, x - (bins / n_bins - 0.5)


def batches(dataset, count=None):
  return list(itertools.islice(dataset.as_numpy_iterator(), count))


def test_training_batches_are_full_shuffled_dequantised_and_endless():
  dataset = data.make_pipeline("digits", DIGITS, batch_size=64)
  assert dataset.element_spec.shape == (64, 8, 8, 1) and dataset.element_spec.dtype == tf.float32
  train = np.stack([e["image"] for e in data.load_pixels("digits", "train").as_numpy_iterator()])
  epoch_batches = 1500 // 64
  got = batches(dataset, 2 * epoch_batches + 1)  # More than one epoch: it repeats.
  assert len(got) == 2 * epoch_batches + 1
  for x in got:
    assert x.shape == (64, 8, 8, 1) and x.min() >= -0.5 and x.max() <= 0.5
    bins, noise = bins_and_noise(x, 17)
    assert 0 <= noise.min() and noise.max() <= 1 / 17
  assert not np.array_equal(bins_and_noise(got[0], 17)[0], train[:64])  # Shuffled.


def test_training_noise_and_order_are_fresh_every_epoch():
  # One batch is one whole epoch of the 297 test digits: the same images come back reordered with new noise.
  dataset = data.make_pipeline("digits", DIGITS, split="test", batch_size=297)
  first, second = batches(dataset, 2)
  assert not np.array_equal(first, second)

  def by_image(x):
    bins, noise = bins_and_noise(x, 17)
    order = np.lexsort(bins.reshape(len(bins), -1).T)
    return bins[order], noise[order]

  (bins1, noise1), (bins2, noise2) = by_image(first), by_image(second)
  np.testing.assert_array_equal(bins1, bins2)
  assert np.abs(noise1 - noise2).mean() > 0.01


def test_training_is_reproducible_per_seed():
  first = batches(data.make_pipeline("digits", DIGITS, batch_size=32, seed=3), 3)
  again = batches(data.make_pipeline("digits", DIGITS, batch_size=32, seed=3), 3)
  other = batches(data.make_pipeline("digits", DIGITS, batch_size=32, seed=4), 3)
  np.testing.assert_array_equal(first, again)
  assert not np.array_equal(first, other)


def test_evaluation_is_one_ordered_pass_deterministic_per_seed():
  dataset = data.make_pipeline("digits", DIGITS, split="test", batch_size=100, training=False, seed=7)
  got = batches(dataset)
  assert [len(x) for x in got] == [100, 100, 97]  # The last partial batch is kept.
  x = np.concatenate(got)
  test = np.stack([e["image"] for e in data.load_pixels("digits", "test").as_numpy_iterator()])
  np.testing.assert_array_equal(bins_and_noise(x, 17)[0], test)  # In order.

  np.testing.assert_array_equal(np.concatenate(batches(dataset)), x)  # Every pass alike, noise included.
  rebuilt = data.make_pipeline("digits", DIGITS, split="test", batch_size=100, training=False, seed=7)
  np.testing.assert_array_equal(np.concatenate(batches(rebuilt)), x)
  reseeded = data.make_pipeline("digits", DIGITS, split="test", batch_size=100, training=False, seed=8)
  y = np.concatenate(batches(reseeded))
  np.testing.assert_array_equal(bins_and_noise(y, 17)[0], test)
  assert not np.array_equal(y, x)


def test_labels_come_along_for_a_conditional_model():
  config = dataclasses.replace(DIGITS, num_classes=10, dtype="float64")
  dataset = data.make_pipeline("digits", config, split="test", batch_size=50, training=False, with_labels=True)
  x, labels = next(dataset.as_numpy_iterator())
  assert x.shape == (50, 8, 8, 1) and x.dtype == np.float64
  assert labels.shape == (50,) and labels.dtype == np.int32
  expected = [e["label"] for e in data.load_pixels("digits", "test").take(50).as_numpy_iterator()]
  np.testing.assert_array_equal(labels, expected)


def test_celeb_a_with_5_bits_and_attribute_labels(mock_tfds):
  config = GlowConfig(image_shape=(16, 16, 3), levels=2, steps_per_level=1, hidden_channels=8, n_bits=5,
                      num_classes=40)
  dataset = data.make_pipeline("celeb_a", config, split="test", batch_size=3, training=False, with_labels=True,
                               data_dir="/anywhere")
  (x, labels), (last_x, _) = batches(dataset)
  assert x.shape == (3, 16, 16, 3) and labels.shape == (3, 40) and labels.dtype == np.float32
  assert last_x.shape == (1, 16, 16, 3)
  pixels = np.stack([e["image"] for e in data.load_pixels("celeb_a", "test", 16).as_numpy_iterator()])
  np.testing.assert_array_equal(bins_and_noise(np.concatenate([x, last_x]), 32)[0], pixels // 8)


def test_mnist_default_config(mock_tfds):
  config = GlowConfig(image_shape=(32, 32, 1), levels=3, steps_per_level=1, hidden_channels=8)
  x = next(data.make_pipeline("mnist", config, batch_size=2).as_numpy_iterator())
  assert x.shape == (2, 32, 32, 1)


@pytest.mark.parametrize("name, overrides, message", [
    ("cifar10", dict(image_shape=(64, 64, 3)),
     r"config.image_shape \(64, 64, 3\) does not fit cifar10: cifar10 images come at image_size 32, not 64.*"
     r"e.g. \(32, 32, 3\)"),
    ("mnist", dict(image_shape=(32, 32, 3)),
     r"mnist images at image_size 32 are \(32, 32, 1\), .* build the config with image_shape=\(32, 32, 1\)"),
    ("digits", dict(image_shape=(8, 8, 1), pixel_levels=256),
     r"digits pixels take 17 values, but config.pixel_levels is 256; build the config with pixel_levels=17"),
    ("celeb_a", dict(image_shape=(32, 16, 3), levels=2), r"\(32, 16, 3\) is not square"),
])
def test_a_config_that_does_not_fit_the_dataset_says_what_would(name, overrides, message):
  config = dataclasses.replace(DIGITS, **overrides)
  with pytest.raises(ValueError, match=message):
    data.make_pipeline(name, config)


def test_labels_must_exist_and_match_the_config(tmp_path):
  with pytest.raises(ValueError, match="digits has 10 classes, but config.num_classes is 0; .* num_classes=10"):
    data.make_pipeline("digits", DIGITS, with_labels=True)
  write_images(tmp_path, [(8, 8)] * 3)
  config = GlowConfig(image_shape=(8, 8, 3), levels=3)
  with pytest.raises(ValueError, match="has no labels"):
    data.make_pipeline(f"folder:{tmp_path}", config, with_labels=True)


@pytest.mark.parametrize("cache, budget, survives", [(True, 0, True), (False, 2**40, False), (None, 2**40, True),
                                                      (None, 0, False)])
def test_cache_keeps_decoded_pixels_when_they_fit(tmp_path, monkeypatch, cache, budget, survives):
  monkeypatch.setattr(pipeline, "CACHE_BUDGET_BYTES", budget)
  paths = write_images(tmp_path, [(12, 12)] * 3)
  config = GlowConfig(image_shape=(8, 8, 3), levels=3)
  dataset = data.make_pipeline(f"folder:{tmp_path}", config, split="all", batch_size=2, training=False,
                               cache=cache)
  first = batches(dataset)
  for path in paths:
    path.unlink()
  if survives:
    np.testing.assert_array_equal(np.concatenate(batches(dataset)), np.concatenate(first))
  else:
    assert not batches(dataset)  # Read again: files that went away are skipped, as unreadable ones are.


def test_shards_are_disjoint_cover_the_split_and_get_their_own_noise():
  # One epoch of each of 3 shards, in order: what 3 workers of a multi-worker run read.
  shards = [np.concatenate(batches(data.make_pipeline("digits", DIGITS, "test", batch_size=50, training=False,
                                                      shard=(3, index))))
            for index in range(3)]
  test = np.stack([e["image"] for e in data.load_pixels("digits", "test").as_numpy_iterator()])
  assert sum(len(shard) for shard in shards) == len(test)
  for index, shard in enumerate(shards):
    np.testing.assert_array_equal(bins_and_noise(shard, 17)[0], test[index::3])
  # Example i of shard k is example 3i + k of the split: the noise of an unsharded pipeline's, never shared.
  whole = np.concatenate(batches(data.make_pipeline("digits", DIGITS, "test", batch_size=50, training=False)))
  np.testing.assert_array_equal(shards[1], whole[1::3])
  noises = [bins_and_noise(shard[:90], 17)[1] for shard in shards]
  assert not np.allclose(noises[0], noises[1])


@pytest.mark.parametrize("shard", [(2, 2), (0, 0), (2, -1)])
def test_a_shard_outside_its_count_is_refused(shard):
  with pytest.raises(ValueError, match="shard must be"):
    data.make_pipeline("digits", DIGITS, shard=shard)
