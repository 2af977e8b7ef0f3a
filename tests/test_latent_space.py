"""Latent-space operations: encoding pixels, interpolation and the paper's attribute manipulation."""

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import Glow, GlowConfig, preprocess
from glow_tf.latent_space import (LatentSpace, attribute_direction, decode_latent, encode_pixels, interpolate,
                                  manipulate)
from glow_tf.pixels import bin_centres, postprocess
from tests.helpers import randomize

CONFIG = GlowConfig(image_shape=(8, 8, 1), levels=2, steps_per_level=2, hidden_channels=8, pixel_levels=17,
                    num_classes=10)


@pytest.fixture(scope="module")
def glow():
  model = Glow(CONFIG)
  pixels = np.random.default_rng(0).integers(0, 17, [32, 8, 8, 1])
  model.initialize(preprocess(pixels, 17, 17, noise_seed=tf.constant([0, 0])))
  randomize(model, scale=0.05)
  return model


def pixels(batch=5):
  return np.random.default_rng(1).integers(0, 17, [batch, 8, 8, 1]).astype(np.uint8)


def test_encoding_is_deterministic_and_image_shaped(glow):
  labels = tf.constant([1, 2, 3, 4, 5])
  z = encode_pixels(glow, pixels(), labels)
  assert z.shape == (5, 8, 8, 1)
  np.testing.assert_array_equal(z, encode_pixels(glow, pixels(), labels))
  x = decode_latent(glow, tf.identity(z), labels)
  np.testing.assert_array_equal(postprocess(x, 17), postprocess(bin_centres(pixels(), 17, 17), 17))


def test_latent_space_batches_and_round_trips(glow):
  space = LatentSpace(glow, batch_size=2)
  labels = np.array([1, 2, 3, 4, 5], np.int32)
  z = space.encode(pixels(), labels)
  np.testing.assert_allclose(z, encode_pixels(glow, pixels(), labels), atol=1e-5)
  np.testing.assert_array_equal(space.decode(z, labels), space.display(pixels()))
  assert space.encode(pixels(0), labels[:0]).shape == (0, 8, 8, 1)


def test_interpolation_runs_from_start_to_end_in_equal_steps():
  start, end = np.zeros([2, 3], np.float32), np.array([[4, 8, 0], [1, 1, 1]], np.float32)
  path = interpolate(start, end, num_steps=5)
  assert path.shape == (2, 5, 3) and path.dtype == np.float32
  np.testing.assert_array_equal(path[:, 0], start)
  np.testing.assert_array_equal(path[:, -1], end)
  np.testing.assert_allclose(path[0, :, 1], [0, 2, 4, 6, 8])
  with pytest.raises(ValueError, match="num_steps >= 2"):
    interpolate(start, end, num_steps=1)


def test_the_direction_is_the_difference_of_the_two_means():
  z = np.array([[1.0, 0.0], [3.0, 2.0], [10.0, 10.0], [0.0, 0.0]], np.float32)
  direction = attribute_direction(z, [True, True, False, False])
  np.testing.assert_allclose(direction, [2.0 - 5.0, 1.0 - 5.0])
  for has in ([True] * 4, [False] * 4):
    with pytest.raises(ValueError, match="with it and without"):
      attribute_direction(z, has)


def test_manipulation_moves_each_latent_by_alpha_times_scale():
  z = np.zeros([2, 2, 2, 1], np.float32)
  direction = np.ones([2, 2, 1], np.float32)
  moved = manipulate(z, direction, alphas=[-1.0, 0.0, 0.5], scale=1.6)
  assert moved.shape == (2, 3, 2, 2, 1)
  np.testing.assert_allclose(moved[:, :, 0, 0, 0], [[-1.6, 0.0, 0.8]] * 2)
