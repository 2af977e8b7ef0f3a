import numpy as np
import pytest
import tensorflow as tf

from glow_tf.bijectors import ActNorm
from tests.helpers import autodiff_log_det, fresh, randomize


def test_log_det_matches_autodiff_with_random_parameters():
  actnorm = ActNorm(3, dtype=tf.float64)
  randomize(actnorm, seed=1, scale=0.3)
  x = tf.random.stateless_normal([2, 3, 2, 3], [1, 2], dtype=tf.float64)
  expected = autodiff_log_det(actnorm.inverse, x)
  np.testing.assert_allclose(actnorm.inverse_log_det_jacobian(fresh(x), event_ndims=3) + np.zeros(2), expected,
                             atol=1e-6)
  np.testing.assert_allclose(
      actnorm.forward_log_det_jacobian(fresh(x), event_ndims=3) + np.zeros(2),
      autodiff_log_det(actnorm.forward, x), atol=1e-6)


def test_data_dependent_initialization_standardises_each_channel():
  actnorm = ActNorm(4)
  x = tf.random.stateless_normal([16, 5, 5, 4], [3, 4]) * [1.0, 2.0, 5.0, 0.1] + [3.0, -1.0, 0.0, 10.0]
  initialized = actnorm.initialize_and_encode(x).numpy()
  y = actnorm.inverse(fresh(x)).numpy()
  np.testing.assert_allclose(initialized, y, atol=1e-6)
  np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0.0, atol=1e-4)
  np.testing.assert_allclose(y.std(axis=(0, 1, 2)), 1.0, atol=1e-3)


def test_normalising_outside_initialization_leaves_parameters_alone():
  actnorm = ActNorm(2)
  actnorm.inverse(tf.random.stateless_normal([4, 2, 2, 2], [0, 1]) * 7.0)
  np.testing.assert_array_equal(actnorm.log_scale.numpy(), 0.0)
  np.testing.assert_array_equal(actnorm.bias.numpy(), 0.0)


def test_round_trip():
  actnorm = ActNorm(3)
  randomize(actnorm, scale=0.5)
  x = tf.random.stateless_normal([2, 4, 4, 3], [5, 6])
  np.testing.assert_allclose(actnorm.forward(fresh(actnorm.inverse(x))), x, atol=1e-5)
