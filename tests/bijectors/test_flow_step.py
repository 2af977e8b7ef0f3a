import numpy as np
import pytest
import tensorflow as tf

from glow_tf.bijectors import ActNorm, AffineCoupling, FlowStep, make_invertible_1x1_conv
from tests.helpers import autodiff_log_det, fresh, randomize


def make_step(dtype=tf.float64, permutation="conv"):
  return FlowStep(ActNorm(4, dtype=dtype), make_invertible_1x1_conv(4, permutation, seed=1, dtype=dtype),
                  AffineCoupling(4, hidden_channels=6, seed=2, dtype=dtype))


def test_log_det_is_the_sum_of_its_layers_and_matches_autodiff():
  step = make_step()
  randomize(step, seed=1, scale=0.3)
  x = tf.random.stateless_normal([2, 3, 3, 4], [0, 5], dtype=tf.float64)
  ildj = step.inverse_log_det_jacobian(x, event_ndims=3).numpy()
  np.testing.assert_allclose(ildj, autodiff_log_det(step.inverse, x), atol=1e-6)
  np.testing.assert_allclose(
      step.forward_log_det_jacobian(fresh(x), event_ndims=3), autodiff_log_det(step.forward, x), atol=1e-6)


def test_round_trip():
  step = make_step(tf.float32)
  randomize(step, scale=0.2)
  x = tf.random.stateless_normal([2, 4, 4, 4], [0, 6])
  np.testing.assert_allclose(step.forward(fresh(step.inverse(x))), x, atol=1e-5)


@pytest.mark.parametrize("permutation", ["lu", "conv", "shuffle", "reverse"])
def test_fused_actnorm_and_mixing_equal_the_layers_one_by_one(permutation):
  step = make_step(permutation=permutation)
  randomize(step, seed=2, scale=0.3)
  x = tf.random.stateless_normal([2, 3, 3, 4], [0, 7], dtype=tf.float64)
  layers = (step.actnorm, step.mixing, step.coupling)
  by_layers = x
  for layer in layers:
    by_layers = layer.inverse(by_layers)
  np.testing.assert_allclose(step.inverse(x), by_layers, atol=1e-12)
  z = fresh(by_layers)
  for layer in reversed(layers):
    z = layer.forward(z)
  np.testing.assert_allclose(step.forward(fresh(by_layers)), z, atol=1e-12)
