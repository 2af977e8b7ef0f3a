import numpy as np
import pytest
import tensorflow as tf

from glow_tf import GlowConfig, multiscale


def test_each_level_squeezes_and_sends_half_its_channels_out():
  config = GlowConfig(image_shape=(32, 32, 3), levels=3)
  layout = multiscale.levels(config)
  assert [level.shape for level in layout] == [(16, 16, 12), (8, 8, 24), (4, 4, 48)]
  assert [level.is_top for level in layout] == [False, False, True]
  assert multiscale.latent_shapes(config) == [(16, 16, 6), (8, 8, 12), (4, 4, 48)]
  # Every dimension of the image leaves the flow exactly once.
  assert sum(np.prod(shape) for shape in multiscale.latent_shapes(config)) == config.num_dims


def test_one_level_sends_everything_out_at_once():
  assert multiscale.latent_shapes(GlowConfig(image_shape=(8, 8, 1), levels=1)) == [(4, 4, 4)]


def test_split_and_merge_are_inverse_and_keep_batch_ranks():
  config = GlowConfig(image_shape=(8, 8, 2), levels=3)
  z = tf.reshape(tf.range(3 * 2 * 8 * 8 * 2, dtype=tf.float32), [3, 2, 8, 8, 2])
  latents = multiscale.split_latents(z, config)
  assert [tuple(latent.shape) for latent in latents] == [(3, 2, *shape) for shape in multiscale.latent_shapes(config)]
  np.testing.assert_array_equal(multiscale.merge_latents(latents, config), z)
  # Each value of z lands in exactly one latent.
  values = np.concatenate([np.ravel(latent) for latent in latents])
  np.testing.assert_array_equal(np.sort(values), np.ravel(z))


def test_latents_of_the_wrong_number_or_shape_are_refused():
  config = GlowConfig(image_shape=(4, 4, 3), levels=2)
  with pytest.raises(ValueError, match=r"Expected 2 latents of shapes \[\(2, 2, 6\), \(1, 1, 24\)\], got 1"):
    multiscale.merge_latents([tf.zeros([1, 1, 1, 24])], config)
  with pytest.raises(ValueError, match=r"Latent 0 must have shape \[batch, 2, 2, 6\]"):
    multiscale.merge_latents([tf.zeros([1, 2, 2, 5]), tf.zeros([1, 1, 1, 24])], config)
