"""network_dtype="bfloat16": coupling networks in bfloat16, everything else in float32."""

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import Glow, GlowConfig
from tests.helpers import adam_losses, autodiff_log_det, fresh, randomize

TINY = dict(image_shape=(8, 8, 3), levels=2, steps_per_level=2, hidden_channels=16)


def glow_pair(**overrides):
  """The same randomised weights in a float32 model and in one with bfloat16 coupling networks."""
  models = []
  for network_dtype in ("", "bfloat16"):
    glow = Glow(GlowConfig(**TINY, network_dtype=network_dtype, **overrides), seed=0)
    glow.initialize(tf.random.stateless_uniform([16, 8, 8, 3], [9, 9], -0.5, 0.5))
    randomize(glow, seed=0, scale=0.03)
    models.append(glow)
  return models


def images(batch=4):
  return tf.random.stateless_uniform([batch, 8, 8, 3], [1, 0], -0.5, 0.5)


def test_only_the_coupling_networks_compute_in_bfloat16():
  _, mixed = glow_pair()
  graph = tf.function(mixed.log_prob).get_concrete_function(tf.TensorSpec([None, 8, 8, 3])).graph.as_graph_def()
  # The flow steps are in the functions each level's steps share (SharedTrace), the priors in the graph itself.
  nodes = [*graph.node, *(node for function in graph.library.function for node in function.node_def)]
  convolutions = [node for node in nodes if node.op == "Conv2D"]
  in_networks = [node for node in convolutions if "_coupling/" in node.name]
  assert len(in_networks) == 3 * 2  # Three convolutions per coupling network, one traced coupling per level.
  assert {tf.as_dtype(node.attr["T"].type) for node in in_networks} == {tf.bfloat16}
  assert {tf.as_dtype(node.attr["T"].type) for node in convolutions if node not in in_networks} == {tf.float32}
  assert len(convolutions) > len(in_networks)
  assert {v.dtype for v in mixed.trainable_variables} == {tf.float32}
  assert mixed.log_prob(images()).dtype == tf.float32


@pytest.mark.parametrize("coupling", ["affine", "additive"])
def test_log_prob_is_close_to_float32_and_its_log_det_is_exact(coupling):
  full, mixed = glow_pair(coupling=coupling)
  x = images()
  # Same weights: bfloat16's 8-bit mantissa moves log p(x) by a fraction of a percent, not more.
  np.testing.assert_allclose(mixed.log_prob(x), full.log_prob(x), rtol=1e-2)
  # The log-det is that of the map the model applies: autodiff through it agrees to float32 round-off.
  ildj = mixed.bijector.inverse_log_det_jacobian(x, event_ndims=3).numpy()
  np.testing.assert_allclose(ildj, autodiff_log_det(mixed.bijector.inverse, x), rtol=1e-4, atol=1e-2)


def test_round_trips_stay_close():
  _, mixed = glow_pair()
  x = images(8)
  z = mixed.bijector.inverse(x)
  x_again = mixed.bijector.forward(fresh(z))
  # A decoded staying half can round to a neighbouring bfloat16 value and shift the other half by one step.
  error = float(tf.reduce_max(tf.abs(x_again - x)))
  print(f"\nbfloat16 networks: max round-trip error {error:.2e}")
  assert error < 1e-3


def test_training_steps_lower_the_negative_log_likelihood():
  _, mixed = glow_pair()
  losses = adam_losses(mixed, images(16))
  assert losses[-1] < losses[0] - 1.0, losses


def test_network_dtype_is_checked_and_saved():
  with pytest.raises(ValueError, match="Unknown network_dtype 'float16'; choose one of '', 'bfloat16'"):
    GlowConfig(network_dtype="float16")
  with pytest.raises(ValueError, match="mixed precision for float32 models"):
    GlowConfig(dtype="float64", network_dtype="bfloat16")
  config = GlowConfig(network_dtype="bfloat16")
  assert GlowConfig.from_json(config.to_json()) == config
