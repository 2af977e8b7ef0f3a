"""Invertible and recomputed backprop: the stored mode's gradients, without holding the forward pass's activations."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import Glow, GlowConfig
from tests.helpers import fresh, randomize
from tests.tiny_run import REPO, run_script, run_with_cpu_devices
from tests.training.test_distributed_runs import logged_losses

TINY = dict(image_shape=(4, 4, 3), levels=2, steps_per_level=2, hidden_channels=8)
# One bfloat16 ulp at 1: it keeps 7 of float32's 23 mantissa bits. Rebuilding inputs through bfloat16 networks
# costs about half of it: the worst variable's gradient was 0.2-0.4% off on an AVX2 CPU, which emulates bfloat16,
# and under 0.1% with AVX512-BF16.
BFLOAT16_EPSILON = 2.0**-7


def loss_and_gradients(backprop, config, labels=None, seed=3):
  """The mean negative log-likelihood of a fixed batch and its gradients, from a model whose weights (the same
  for every `backprop`, given the seed) are randomised so that no coupling or prior is the identity."""
  x = tf.random.stateless_uniform([4, *config.image_shape], [1, 0], -0.5, 0.5, dtype=config.dtype)
  glow = Glow(config, seed=seed, backprop=backprop)
  glow.initialize(x, labels)
  randomize(glow, seed=4, scale=0.05)

  @tf.function
  def step(batch):
    with tf.GradientTape() as tape:
      loss = -tf.reduce_mean(glow.log_prob(batch, labels))
    return loss, tape.gradient(loss, glow.trainable_variables)

  loss, gradients = step(fresh(x))
  return float(loss), [g.numpy() for g in gradients]


def assert_same_gradients(gradients, expected, rtol):
  assert len(gradients) == len(expected)
  norm = np.sqrt(sum(np.sum(np.square(g)) for g in expected))
  assert np.sqrt(sum(np.sum(np.square(g - e)) for g, e in zip(gradients, expected))) <= rtol * norm
  for g, e in zip(gradients, expected):
    # Per variable, relative to its own gradient (or to a thousandth of the whole, if it has almost none).
    assert np.linalg.norm(g - e) <= rtol * max(np.linalg.norm(e), 1e-3 * norm)


# Each mixing once, each coupling twice: what a mixing does to the gradients does not depend on the coupling.
@pytest.mark.parametrize("coupling, permutation", [("affine", "lu"), ("additive", "conv"), ("affine", "shuffle"),
                                                   ("additive", "reverse")])
def test_invertible_and_recomputed_gradients_are_the_stored_ones_in_float64(coupling, permutation):
  config = GlowConfig(**TINY, coupling=coupling, permutation=permutation, dtype="float64")
  loss, expected = loss_and_gradients("stored", config)
  for backprop in ("recomputed", "invertible"):
    other_loss, gradients = loss_and_gradients(backprop, config)
    assert other_loss == pytest.approx(loss, rel=1e-12)
    assert_same_gradients(gradients, expected, rtol=1e-8)


@pytest.mark.parametrize("dtype, network_dtype, rtol",
                         [("float64", "", 1e-8), ("float32", "", 1e-4), ("float32", "bfloat16", BFLOAT16_EPSILON)])
def test_conditional_models_float32_and_bfloat16_networks_agree_too(dtype, network_dtype, rtol):
  model = dict(TINY, dtype=dtype, network_dtype=network_dtype)
  cases = [(GlowConfig(**model, num_classes=3), tf.constant([0, 2, 1, 2]))]
  if dtype != "float64":  # The unconditional float64 model is the test above's [affine-lu].
    cases.append((GlowConfig(**model), None))
  for config, labels in cases:
    _, expected = loss_and_gradients("stored", config, labels)
    for backprop in ("recomputed", "invertible"):
      _, gradients = loss_and_gradients(backprop, config, labels)
      assert_same_gradients(gradients, expected, rtol)


def activations_held_for_the_backward_pass(backprop, steps_per_level):
  """How many batch-sized 4-D tensors of the forward pass the traced backward pass reads: what it keeps alive
  from one pass to the other. Counted in the graph, so it cannot flake."""
  config = GlowConfig(image_shape=(8, 8, 3), levels=2, steps_per_level=steps_per_level, hidden_channels=8)
  glow = Glow(config, backprop=backprop)
  forward_ops = []

  @tf.function
  def gradients(x):
    with tf.GradientTape() as tape:
      loss = -tf.reduce_mean(glow.log_prob(x))
    forward_ops.extend(tf.compat.v1.get_default_graph().get_operations())
    return tape.gradient(loss, glow.trainable_variables)

  graph = gradients.get_concrete_function(tf.TensorSpec([4, *config.image_shape])).graph
  backward_ops = set(graph.get_operations()) - set(forward_ops)
  return sum(1 for op in forward_ops for t in op.outputs
             if t.shape.rank == 4 and t.shape[0] == 4 and any(c in backward_ops for c in t.consumers()))


def test_invertible_backprop_holds_the_same_few_activations_whatever_the_depth():
  held = {backprop: [activations_held_for_the_backward_pass(backprop, k) for k in (2, 4)]
          for backprop in ("stored", "recomputed", "invertible")}
  stored, recomputed, invertible = held["stored"], held["recomputed"], held["invertible"]
  assert invertible[0] == invertible[1] <= 4, held  # The latent and the input: nothing per layer.
  assert recomputed[1] > recomputed[0] > invertible[0], held  # Each layer's input.
  assert stored[1] - stored[0] > 4 * (recomputed[1] - recomputed[0]), held  # Every activation of every layer.


@pytest.mark.slow
def test_an_invertible_training_step_allocates_the_same_whatever_the_depth_but_its_parameter_gradients():
  # TensorFlow's own CPU allocator counts the bytes of the second training step (one inter-op thread, so one order
  # of ops): K=8 flow steps a level against K=2 at 32x32, L=2, W=128, batch 8, the weights' size taken off.
  env = dict(os.environ, TF_CPU_ALLOCATOR_USE_BFC="true", TF_CPP_MIN_LOG_LEVEL="2")
  models = ["invertible,2", "invertible,8", "stored,2", "stored,8"]
  done = subprocess.run([sys.executable, os.path.join(REPO, "tests", "step_memory.py"), *models],
                        capture_output=True, text=True, cwd=REPO, env=env, timeout=900)
  assert done.returncode == 0, done.stderr[-3000:]
  peaks = json.loads(done.stdout.strip().splitlines()[-1])
  growth = {mode: (peaks[f"{mode},8"][0] - peaks[f"{mode},8"][1]) - (peaks[f"{mode},2"][0] - peaks[f"{mode},2"][1])
            for mode in ("invertible", "stored")}
  assert growth["stored"] > 8 * 2**20, peaks  # The measure sees depth: twelve more flow steps' activations.
  assert growth["invertible"] < growth["stored"] / 10, peaks


def test_a_checkpoint_restores_in_every_backprop_mode(tmp_path):
  config = GlowConfig(**TINY)
  x = tf.random.stateless_uniform([4, *config.image_shape], [1, 0], -0.5, 0.5)
  stored = Glow(config, seed=1)
  stored.initialize(x)
  randomize(stored, seed=2)
  path = tf.train.Checkpoint(model=stored).write(str(tmp_path / "glow_backprop"))
  for backprop in ("recomputed", "invertible"):
    glow = Glow(config, seed=7, backprop=backprop)
    tf.train.Checkpoint(model=glow).read(path).assert_existing_objects_matched()
    np.testing.assert_allclose(glow.log_prob(x), stored.log_prob(x), rtol=1e-6)
    np.testing.assert_allclose(glow.sample(3, seed=[1, 2]), stored.sample(3, seed=[1, 2]), atol=1e-6)


def test_an_unknown_backprop_mode_is_refused():
  with pytest.raises(ValueError, match="Unknown backprop 'checkpointed'; choose one of 'stored', 'recomputed', 'invertible'"):
    Glow(GlowConfig(**TINY), backprop="checkpointed")


MIRRORED_SCRIPT = textwrap.dedent("""
    import numpy as np
    import tensorflow as tf
    from glow_tf import Glow, GlowConfig
    from tests.helpers import randomize

    config = GlowConfig(image_shape=(4, 4, 3), levels=2, steps_per_level=2, hidden_channels=8)
    x = tf.random.stateless_uniform([4, 4, 4, 3], [1, 0], -0.5, 0.5)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    results = {}
    for backprop in ("stored", "invertible"):
      with strategy.scope():
        glow = Glow(config, seed=3, backprop=backprop)
      glow.initialize(x)
      randomize(glow, seed=4, scale=0.05)

      def replica_gradients(batch):
        with tf.GradientTape() as tape:
          loss = -tf.reduce_sum(glow.log_prob(batch)) / 4
        gradients = tape.gradient(loss, glow.trainable_variables)
        return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, gradients)

      step = tf.function(lambda batch: strategy.run(replica_gradients, args=(batch,)))
      batch = next(iter(strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensors(x))))
      results[backprop] = [strategy.experimental_local_results(g)[0].numpy() for g in step(batch)]
    difference = np.sqrt(sum(np.sum(np.square(a - b)) for a, b in zip(results["invertible"], results["stored"])))
    norm = np.sqrt(sum(np.sum(np.square(g)) for g in results["stored"]))
    assert norm > 0 and difference <= 1e-4 * norm, (difference, norm)
    print("MIRRORED_OK", difference / norm)
""")


@pytest.mark.slow
def test_invertible_gradients_under_mirrored_strategy_on_two_cpus(tmp_path):
  result = run_with_cpu_devices(MIRRORED_SCRIPT, tmp_path)
  assert "MIRRORED_OK" in result.stdout, result.stderr[-3000:]


@pytest.mark.slow
def test_train_py_trains_alike_in_every_backprop_mode_with_xla_labels_and_a_full_1x1_matrix(tmp_path):
  losses = {}
  for backprop in ("stored", "recomputed", "invertible"):
    model_dir = str(tmp_path / backprop)
    # --permutation=conv: its log|det W| once had no XLA kernel, so `train.py --permutation=conv` failed.
    result = run_script("train.py", f"--model_dir={model_dir}", f"--backprop={backprop}", "--xla", "--conditional",
                        "--permutation=conv",
                        "--steps=4", "--log_every=1", "--eval_every=0", "--sample_every=0", "--noexport",
                        "--levels=2", "--steps_per_level=1", "--hidden_channels=8", "--batch_size=16",
                        "--init_batch_size=32")
    assert result.returncode == 0, result.stderr[-3000:]
    assert f'"backprop": "{backprop}"' in open(os.path.join(model_dir, "train_config.json")).read()
    losses[backprop] = logged_losses(model_dir)
  assert len(losses["stored"]) == 4
  # The same first step (the same forward pass), and then the same updates up to rounding.
  np.testing.assert_allclose(losses["recomputed"], losses["stored"], rtol=1e-5)
  np.testing.assert_allclose(losses["invertible"], losses["stored"], rtol=1e-4)


@pytest.mark.parametrize("backprop", ["recomputed", "invertible"])
def test_a_persistent_tape_takes_the_same_gradients_twice_eagerly(backprop):
  config = GlowConfig(**TINY)
  x = tf.random.stateless_uniform([4, *config.image_shape], [1, 0], -0.5, 0.5)
  glow = Glow(config, seed=3, backprop=backprop)
  glow.initialize(x)
  randomize(glow, seed=4, scale=0.05)
  with tf.GradientTape(persistent=True) as tape:
    loss = -tf.reduce_mean(glow.log_prob(fresh(x)))
  first, second = (tape.gradient(loss, glow.trainable_variables) for _ in range(2))
  assert all(np.any(g.numpy() != 0) for g in first)
  for a, b in zip(first, second):
    np.testing.assert_array_equal(a, b)
