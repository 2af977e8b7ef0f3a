"""The bits/dim objective and the map between pixels and model space, checked against numbers worked out by hand."""

import math

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import Glow, GlowConfig
from glow_tf.pixels import bin_centres, bits_per_dim, postprocess, preprocess, to_pixels

ALL_8_BIT = np.arange(256)


def test_bits_per_dim_by_hand():
  # D = 2 * 2 * 3 = 12 dimensions, 32 bins: each dimension pays log2(32) = 5 bits for its bin's width,
  # plus its share of -log p(x) = 20 nats: 20 / (12 * ln 2) bits.
  expected = 5.0 + 20.0 / (12 * 0.6931471805599453)
  log_prob = tf.constant(-20.0, tf.float64)
  np.testing.assert_allclose(bits_per_dim(log_prob, num_dims=12, n_bins=32), expected, rtol=1e-12)


def test_uniform_density_costs_exactly_n_bits():
  # The uniform density on [-0.5, 0.5]^D has log p = 0; discretised it is uniform over the bins: n_bits each.
  for n_bits in (1, 5, 8):
    np.testing.assert_allclose(bits_per_dim(0.0, num_dims=3072, n_bins=2**n_bits), n_bits, rtol=1e-6)


def test_bits_per_dim_keeps_the_batch_shape():
  log_prob = tf.constant([-1.0, -2.0, -3.0])
  assert bits_per_dim(log_prob, num_dims=4, n_bins=2).shape == (3,)


@pytest.mark.parametrize("n_bits", range(1, 9))
def test_n_bits_reduction_is_the_references_floor(n_bits):
  x = preprocess(ALL_8_BIT, pixel_levels=256, n_bins=2**n_bits).numpy()
  assert x.min() == -0.5 and x.max() < 0.5
  bins = (x + 0.5) * 2**n_bits
  np.testing.assert_array_equal(bins, np.floor(ALL_8_BIT / 2**(8 - n_bits)))


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_every_number_of_levels_bins_exactly(dtype):
  # Whole-number bins for any pixel_levels: floor(p * n_bins / pixel_levels), in integers.
  for pixel_levels in range(2, 257):
    pixels = np.arange(pixel_levels)
    for n_bins in sorted({min(2**n_bits, pixel_levels) for n_bits in range(1, 9)}):
      x = preprocess(pixels, pixel_levels, n_bins, dtype).numpy()
      np.testing.assert_array_equal(
          np.round((x + 0.5) * n_bins), pixels * n_bins // pixel_levels,
          err_msg=f"pixel_levels={pixel_levels}, n_bins={n_bins}")


def test_digits_17_levels_survive_a_round_trip():
  config = GlowConfig(image_shape=(8, 8, 1), levels=3, pixel_levels=17)
  assert config.n_bins == 17
  pixels = np.arange(17)
  x = preprocess(pixels, config.pixel_levels, config.n_bins, noise_seed=[1, 2])
  assert len(np.unique(np.floor((x.numpy() + 0.5) * 17))) == 17
  shown = postprocess(x, config.n_bins).numpy()
  np.testing.assert_array_equal(shown, np.round(pixels * 255 / 16))  # 0 -> black, 16 -> white.
  assert shown[0] == 0 and shown[-1] == 255


@pytest.mark.parametrize("n_bits", [5, 8])
def test_postprocess_undoes_the_noise(n_bits):
  n_bins = 2**n_bits
  x = preprocess(ALL_8_BIT, 256, n_bins, noise_seed=[3, 4])
  expected = np.round(np.floor(ALL_8_BIT / 2**(8 - n_bits)) * 255 / (n_bins - 1))
  np.testing.assert_array_equal(postprocess(x, n_bins), expected)
  assert postprocess(tf.constant([-0.7, 0.7]), n_bins).numpy().tolist() == [0, 255]  # Clipped, not wrapped.


@pytest.mark.parametrize("n_bins", [17, 32, 256])
def test_dequantisation_noise_is_uniform_within_one_bin(n_bins):
  pixels = np.tile(np.arange(17 if n_bins == 17 else 256), 200)
  pixel_levels = 17 if n_bins == 17 else 256
  clean = preprocess(pixels, pixel_levels, n_bins).numpy()
  noise = preprocess(pixels, pixel_levels, n_bins, noise_seed=[5, 6]).numpy() - clean
  assert noise.min() >= 0 and noise.max() <= 1 / n_bins
  # U(0, 1/n_bins): mean 1/(2 n_bins), standard deviation 1/(sqrt(12) n_bins).
  np.testing.assert_allclose(noise.mean() * n_bins, 0.5, atol=0.02)
  np.testing.assert_allclose(noise.std() * n_bins, 1 / math.sqrt(12), atol=0.02)


def test_noise_is_a_function_of_its_seed():
  pixels = np.arange(256)
  first = preprocess(pixels, 256, 256, noise_seed=[7, 8])
  np.testing.assert_array_equal(first, preprocess(pixels, 256, 256, noise_seed=[7, 8]))
  assert not np.array_equal(first, preprocess(pixels, 256, 256, noise_seed=[7, 9]))


@pytest.mark.parametrize("permutation", ["lu", "conv", "shuffle", "reverse"])
def test_untrained_model_on_uniform_noise_scores_what_the_maths_says(permutation):
  # Untrained, an additive Glow is volume-preserving onto N(0, I): ActNorms are the identity (not initialised),
  # the zero-initialised couplings and priors are the identity and the standard normal, and every channel
  # mixing is a permutation or a rotation. So z has x's length and log p(x) = sum(-x^2 / 2 - log(2 pi) / 2).
  # (An untrained affine coupling scales by sigmoid(2), so this holds for additive couplings only.)
  config = GlowConfig(
      image_shape=(8, 8, 3), levels=2, steps_per_level=2, hidden_channels=8, coupling="additive",
      permutation=permutation)
  glow = Glow(config)
  pixels = tf.random.stateless_uniform([16, 8, 8, 3], [10, 11], maxval=256, dtype=tf.int32)
  x = preprocess(pixels, config.pixel_levels, config.n_bins, noise_seed=[12, 13])  # Uniform on [-0.5, 0.5)^D.

  d = config.num_dims
  x_np = x.numpy().reshape(16, d).astype(np.float64)
  log_prob_by_hand = np.sum(-0.5 * x_np**2 - 0.5 * np.log(2 * np.pi), axis=1)
  np.testing.assert_allclose(glow.distribution.log_prob(x), log_prob_by_hand, rtol=1e-5)

  bits_by_hand = (-log_prob_by_hand + d * np.log(256)) / (d * np.log(2))
  bits = bits_per_dim(glow.distribution.log_prob(x), d, config.n_bins).numpy()
  np.testing.assert_allclose(bits, bits_by_hand, rtol=1e-5)
  # In expectation, E[x^2] = 1/12 for U(-1/2, 1/2): (1/24 + log(2 pi)/2 + log 256) / log 2 = 9.386 bits/dim.
  expected_mean = (1 / 24 + 0.5 * np.log(2 * np.pi) + np.log(256)) / np.log(2)
  np.testing.assert_allclose(bits.mean(), expected_mean, atol=0.01)


@pytest.mark.parametrize("pixel_levels,n_bits", [(256, 8), (256, 5), (256, 1), (17, 8), (17, 4), (100, 6)])
def test_bin_centres_and_to_pixels_keep_every_pixels_bin(pixel_levels, n_bits):
  n_bins = min(2**n_bits, pixel_levels)
  pixels = np.arange(pixel_levels)
  centres = bin_centres(pixels, pixel_levels, n_bins).numpy()
  np.testing.assert_allclose(centres, preprocess(pixels, pixel_levels, n_bins).numpy() + 0.5 / n_bins)
  back = to_pixels(centres, pixel_levels, n_bins).numpy()
  assert back.dtype == np.uint8 and back.max() < pixel_levels
  np.testing.assert_array_equal(preprocess(back, pixel_levels, n_bins), preprocess(pixels, pixel_levels, n_bins))


def test_to_pixels_gives_the_lowest_pixel_of_each_bin_as_the_reference_does():
  # 5 bits of 8-bit data: bin b holds pixels 8b .. 8b + 7; anything inside the bin, or beyond the range, maps to it.
  x = tf.constant([-0.5, -0.5 + 1.5 / 32, 0.49, 0.7, -0.9])
  np.testing.assert_array_equal(to_pixels(x, 256, 32), [0, 8, 248, 248, 0])
  # Digits keep their 17 levels: 0..16, not spread over 0..255 as postprocess spreads them for display.
  np.testing.assert_array_equal(to_pixels(bin_centres(np.arange(17), 17, 17), 17, 17), np.arange(17))
