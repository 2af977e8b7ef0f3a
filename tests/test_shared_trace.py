import numpy as np
import pytest
import tensorflow as tf

from glow_tf import GlowConfig
from glow_tf.bijectors import ActNorm, AffineCoupling, FlowStep, make_invertible_1x1_conv
from glow_tf.shared_trace import SharedTrace
from glow_tf.training import TrainConfig, Trainer
from tests.helpers import fresh, randomize


def make_step(seed, permutation):
  return FlowStep(ActNorm(4, dtype=tf.float64), make_invertible_1x1_conv(4, permutation, seed=seed, dtype=tf.float64),
                  AffineCoupling(4, hidden_channels=6, seed=seed + 1, dtype=tf.float64))


@pytest.mark.parametrize("permutation", ["lu", "conv", "shuffle", "reverse"])
def test_each_step_computes_with_its_own_weights_through_the_shared_trace(permutation):
  steps = [make_step(seed, permutation) for seed in (1, 3, 5)]
  for seed, step in enumerate(steps):
    randomize(step, seed=seed, scale=0.3)
  x = tf.random.stateless_normal([2, 3, 3, 4], [0, 5], dtype=tf.float64)
  expected = [(step.inverse(x), step.inverse_log_det_jacobian(x, event_ndims=3)) for step in steps]
  shared = SharedTrace(steps[0])
  for step in steps:
    step.share_trace(shared)
  for step, (y, log_det) in zip(steps, expected):
    x_shared = fresh(x)
    np.testing.assert_allclose(step.inverse(x_shared), y, atol=1e-12)
    np.testing.assert_allclose(step.inverse_log_det_jacobian(x_shared, event_ndims=3), log_det, atol=1e-12)
    np.testing.assert_allclose(step.forward(fresh(y)), x, atol=1e-10)
  assert np.abs(expected[0][0] - expected[1][0]).max() > 1e-2  # The steps differ, so agreeing means something.
  # The template's own variables are back in place, and nothing new is tracked for its checkpoint.
  assert {v.ref() for v in steps[0].variables} == {v.ref() for v in make_variables_of(steps[0])}


def make_variables_of(step):
  return [step.actnorm.log_scale, step.actnorm.bias, *step.mixing.variables, *step.coupling.variables]


def graph_nodes_by_op(steps_per_level, backprop):
  config = GlowConfig(image_shape=(4, 4, 3), levels=2, steps_per_level=steps_per_level, hidden_channels=8)
  trainer = Trainer(config, TrainConfig(batch_size=2, backprop=backprop, xla=False))
  x = tf.random.stateless_uniform([2, 4, 4, 3], [1, 2], -0.5, 0.5)
  trainer.initialize(x)
  library = trainer.train_step.get_concrete_function(x).graph.as_graph_def().library
  return [node.op for function in library.function for node in function.node_def]


@pytest.mark.parametrize("backprop", ["stored", "invertible"])
def test_the_traced_training_step_holds_one_copy_of_a_levels_flow_step_whatever_the_depth(backprop):
  shallow, deep = graph_nodes_by_op(2, backprop), graph_nodes_by_op(6, backprop)
  # Every convolution of every flow step, forward and backward, is in the shared functions' graphs.
  assert deep.count("Conv2D") == shallow.count("Conv2D") > 0
  assert deep.count("Conv2DBackpropFilter") == shallow.count("Conv2DBackpropFilter") > 0
