import numpy as np
import pytest
import tensorflow as tf

from glow_tf.bijectors import AffineCoupling
from tests.helpers import autodiff_log_det, fresh, randomize


@pytest.mark.parametrize("coupling, scale_floor", [("affine", 0.0), ("affine", 0.1), ("additive", 0.0)])
def test_log_det_matches_autodiff_with_random_parameters(coupling, scale_floor):
  layer = AffineCoupling(4, hidden_channels=6, coupling=coupling, seed=0, dtype=tf.float64, scale_floor=scale_floor)
  randomize(layer, seed=3, scale=0.3)
  x = tf.random.stateless_normal([2, 3, 3, 4], [1, 2], dtype=tf.float64)
  ildj = layer.inverse_log_det_jacobian(x, event_ndims=3) + np.zeros(2)
  np.testing.assert_allclose(ildj, autodiff_log_det(layer.inverse, x), atol=1e-6)
  fldj = layer.forward_log_det_jacobian(fresh(x), event_ndims=3) + np.zeros(2)
  np.testing.assert_allclose(fldj, autodiff_log_det(layer.forward, x), atol=1e-6)


def test_affine_log_det_is_not_trivially_zero():
  layer = AffineCoupling(4, hidden_channels=6, seed=0, dtype=tf.float64)
  randomize(layer, scale=0.3)
  x = tf.random.stateless_normal([2, 3, 3, 4], [1, 2], dtype=tf.float64)
  ildj = layer.inverse_log_det_jacobian(x, event_ndims=3).numpy()
  assert np.all(np.abs(ildj) > 1e-3) and abs(ildj[0] - ildj[1]) > 1e-6


@pytest.mark.parametrize("coupling, scale_floor", [("affine", 0.0), ("affine", 0.1), ("additive", 0.0)])
def test_round_trip(coupling, scale_floor):
  layer = AffineCoupling(6, hidden_channels=8, coupling=coupling, seed=1, scale_floor=scale_floor)
  randomize(layer, scale=0.3)
  x = tf.random.stateless_normal([3, 4, 4, 6], [3, 3])
  np.testing.assert_allclose(layer.forward(fresh(layer.inverse(x))), x, atol=1e-5)


def test_first_half_passes_through_and_initial_scale_is_sigmoid_2():
  layer = AffineCoupling(4, hidden_channels=6, seed=0)
  x = tf.random.stateless_normal([2, 2, 2, 4], [4, 4])
  y = layer.inverse(x).numpy()
  np.testing.assert_array_equal(y[..., :2], x.numpy()[..., :2])
  np.testing.assert_allclose(y[..., 2:], x.numpy()[..., 2:] / (1 + np.exp(-2.0)), rtol=1e-6)


def test_a_scale_floor_bounds_what_the_generative_direction_divides_by():
  x = tf.random.stateless_normal([2, 2, 2, 4], [4, 4])
  outputs = {}
  for floor in (0.0, 0.1):
    layer = AffineCoupling(4, hidden_channels=6, seed=0, scale_floor=floor)
    initial = layer.inverse(x).numpy()
    np.testing.assert_allclose(initial[..., 2:], x.numpy()[..., 2:] * (floor + (1 - floor) / (1 + np.exp(-2.0))),
                               rtol=1e-6)
    # Drive the scale's logits to -100, as an unusual latent can: float32's exp(100) overflows.
    layer.network.conv_out.bias.assign([0.0, 0.0, -100.0, -100.0])
    outputs[floor] = layer.forward(fresh(x)).numpy()
  assert not np.all(np.isfinite(outputs[0.0]))
  np.testing.assert_allclose(outputs[0.1][..., 2:], x.numpy()[..., 2:] / 0.1, rtol=1e-5)


@pytest.mark.parametrize("scale_floor", [-0.1, 1.0])
def test_a_scale_floor_outside_0_1_is_refused(scale_floor):
  with pytest.raises(ValueError, match=r"scale_floor must be in \[0, 1\)"):
    AffineCoupling(4, hidden_channels=6, scale_floor=scale_floor)


def test_network_is_evaluated_once_for_output_and_log_det():
  layer = AffineCoupling(4, hidden_channels=6, seed=0)
  calls = []
  network = layer.network
  original = type(network).__call__

  class CountingNetwork(type(network)):
    def __call__(self, x):
      calls.append(1)
      return original(self, x)

  network.__class__ = CountingNetwork
  x = tf.random.stateless_normal([2, 2, 2, 4], [4, 4])
  layer.inverse(x)
  layer.inverse_log_det_jacobian(x, event_ndims=3)
  assert len(calls) == 1


def test_odd_channels_are_refused():
  with pytest.raises(ValueError, match="odd"):
    AffineCoupling(5, hidden_channels=4)
