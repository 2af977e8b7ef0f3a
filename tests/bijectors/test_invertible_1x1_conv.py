import numpy as np
import pytest
import tensorflow as tf

from glow_tf.bijectors import (Dense1x1Conv, Invertible1x1Conv, LUDecomposed1x1Conv, ReversedChannels,
                                ShuffledChannels, make_invertible_1x1_conv, mixings)
from glow_tf.bijectors.dense_1x1_conv import log_abs_det
from glow_tf.choices import PERMUTATIONS
from tests.helpers import autodiff_log_det, fresh, randomize

KINDS = ["lu", "conv", "shuffle", "reverse"]


@pytest.mark.parametrize("permutation", KINDS)
def test_log_det_matches_autodiff(permutation):
  mix = make_invertible_1x1_conv(4, permutation, seed=3, dtype=tf.float64)
  randomize(mix, seed=2, scale=0.3)
  x = tf.random.stateless_normal([2, 2, 3, 4], [7, 8], dtype=tf.float64)
  ildj = mix.inverse_log_det_jacobian(x, event_ndims=3) + np.zeros(2)
  np.testing.assert_allclose(ildj, autodiff_log_det(mix.inverse, x), atol=1e-6)
  fldj = mix.forward_log_det_jacobian(fresh(x), event_ndims=3) + np.zeros(2)
  np.testing.assert_allclose(fldj, autodiff_log_det(mix.forward, x), atol=1e-6)


@pytest.mark.parametrize("permutation", KINDS)
def test_round_trip(permutation):
  mix = make_invertible_1x1_conv(6, permutation, seed=0)
  randomize(mix, seed=1, scale=0.3)
  x = tf.random.stateless_normal([3, 4, 4, 6], [1, 1])
  np.testing.assert_allclose(mix.forward(fresh(mix.inverse(x))), x, atol=1e-5)
  np.testing.assert_allclose(mix.inverse(fresh(mix.forward(x))), x, atol=1e-5)


@pytest.mark.parametrize("permutation", ["lu", "conv"])
def test_starts_at_a_rotation(permutation):
  w = make_invertible_1x1_conv(5, permutation, seed=4).matrix().numpy()
  np.testing.assert_allclose(w @ w.T, np.eye(5), atol=1e-5)
  assert np.linalg.det(w) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_full_matrix_log_det_and_its_gradient_are_slogdets(seed):
  # Seed 0's matrix has a negative determinant.
  w = np.random.default_rng(seed).standard_normal([5, 5])
  matrix = tf.constant(w)
  with tf.GradientTape() as tape:
    tape.watch(matrix)
    value = log_abs_det(matrix)
  np.testing.assert_allclose(value, np.linalg.slogdet(w)[1], rtol=1e-12)
  np.testing.assert_allclose(tape.gradient(value, matrix), np.linalg.inv(w).T, rtol=1e-10)


def test_lu_inverse_matrix_inverts():
  mix = make_invertible_1x1_conv(5, "lu", seed=4, dtype=tf.float64)
  randomize(mix, scale=0.5)
  np.testing.assert_allclose(mix.matrix() @ mix.inverse_matrix(), np.eye(5), atol=1e-10)


def test_seed_fixes_the_initial_matrix():
  a = make_invertible_1x1_conv(4, "conv", seed=9).matrix().numpy()
  b = make_invertible_1x1_conv(4, "conv", seed=9).matrix().numpy()
  c = make_invertible_1x1_conv(4, "conv", seed=10).matrix().numpy()
  np.testing.assert_array_equal(a, b)
  assert not np.allclose(a, c)


def test_reverse_reverses_channels():
  x = tf.reshape(tf.range(8, dtype=tf.float32), [1, 1, 2, 4])
  y = make_invertible_1x1_conv(4, "reverse").inverse(x)
  np.testing.assert_array_equal(y.numpy()[0, 0], [[3, 2, 1, 0], [7, 6, 5, 4]])


def test_unknown_permutation_names_the_choices():
  with pytest.raises(ValueError, match="'lu'"):
    make_invertible_1x1_conv(4, "rotate")


def test_each_permutation_name_has_its_own_kind():
  assert tuple(mixings.KINDS) == PERMUTATIONS
  kinds = {permutation: type(make_invertible_1x1_conv(4, permutation)) for permutation in PERMUTATIONS}
  assert kinds == {"lu": LUDecomposed1x1Conv, "conv": Dense1x1Conv, "shuffle": ShuffledChannels,
                   "reverse": ReversedChannels}
  assert all(issubclass(kind, Invertible1x1Conv) for kind in kinds.values())
