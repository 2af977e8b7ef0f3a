import keras
import numpy as np
import pytest
import tensorflow as tf

from glow_tf import GlowConfig
from glow_tf.training import TrainConfig, Trainer, optimizers


def weights_after_steps(optimizer_class, steps=5):
  rng = np.random.default_rng(0)
  variables = [tf.Variable(rng.standard_normal(shape), dtype=tf.float32) for shape in [(3, 4), (5,)]]
  optimizer = optimizer_class(1e-2)
  optimizer.build(variables)
  step = tf.function(lambda gradients: optimizer.apply_gradients(zip(gradients, variables)))
  for index in range(steps):
    gradient_rng = np.random.default_rng(index)
    step([tf.constant(gradient_rng.standard_normal(v.shape), tf.float32) for v in variables])
  return [v.numpy() for v in variables], int(optimizer.iterations.numpy())


@pytest.mark.parametrize("fused, keras_class", [(optimizers.Adamax, keras.optimizers.Adamax),
                                                 (optimizers.Adam, keras.optimizers.Adam)])
def test_fused_update_matches_keras(fused, keras_class):
  (fused_weights, fused_steps), (keras_weights, keras_steps) = weights_after_steps(fused), weights_after_steps(keras_class)
  assert fused_steps == keras_steps == 5
  initial, _ = weights_after_steps(fused, steps=0)
  for mine, theirs, start in zip(fused_weights, keras_weights, initial):
    assert np.abs(theirs - start).max() > 1e-2  # The weights moved, so agreeing means something.
    np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


def test_amsgrad_is_refused():
  with pytest.raises(ValueError, match="amsgrad"):
    optimizers.Adam(1e-3, amsgrad=True)


@pytest.mark.parametrize("optimizer, kernel", [("adamax", "ResourceApplyAdaMax"), ("adam", "ResourceApplyAdam")])
def test_training_step_updates_each_variable_with_one_fused_kernel(optimizer, kernel):
  config = GlowConfig(image_shape=(4, 4, 3), levels=2, steps_per_level=2, hidden_channels=8)
  # Without the weights' average, whose update assigns each average too.
  trainer = Trainer(config, TrainConfig(batch_size=2, optimizer=optimizer, ema_decay=0))
  x = tf.random.stateless_uniform([2, 4, 4, 3], [1, 2], -0.5, 0.5)
  trainer.initialize(x)
  graph = trainer.train_step.get_concrete_function(x).graph.as_graph_def()
  nodes = [node for function in graph.library.function for node in function.node_def]
  assert sum(node.op == kernel for node in nodes) == len(trainer.glow.trainable_variables)
  # Keras's own update assigns the weight and both slots with separate ops, three per variable; what is left
  # are the step counters.
  assert sum(node.op.startswith("Assign") for node in nodes) <= 3 < len(trainer.glow.trainable_variables)
