import numpy as np
import pytest
import tensorflow as tf

from glow_tf import Glow, GlowConfig, multiscale
from glow_tf.choices import PERMUTATIONS
from tests.helpers import adam_losses, all_operations, autodiff_log_det, fresh, randomize

TINY = dict(image_shape=(4, 4, 3), levels=2, steps_per_level=2, hidden_channels=8)


def tiny_glow(dtype="float32", seed=0, **overrides):
  glow = Glow(GlowConfig(**{**TINY, "dtype": dtype, **overrides}), seed=seed)
  glow.initialize(tf.random.stateless_uniform([8, *glow.config.image_shape], [9, 9], -0.5, 0.5, dtype=dtype))
  # Small noise: the initialised hidden ActNorms amplify it, and a saturated sigmoid scale makes the
  # full Jacobian too ill-conditioned for slogdet to check the log-det against.
  randomize(glow, seed=seed, scale=0.03)
  return glow


def images(batch, shape=(4, 4, 3), dtype=tf.float32, seed=1):
  return tf.random.stateless_uniform([batch, *shape], [seed, 0], -0.5, 0.5, dtype=dtype)


@pytest.mark.parametrize("coupling", ["affine", "additive"])
def test_model_log_det_matches_autodiff_and_log_prob_adds_it_to_the_base(coupling):
  glow = tiny_glow("float64", coupling=coupling)
  x = images(2, dtype=tf.float64)
  ildj = glow.bijector.inverse_log_det_jacobian(x, event_ndims=3).numpy()
  np.testing.assert_allclose(ildj, autodiff_log_det(glow.bijector.inverse, x), atol=1e-6)
  z = glow.bijector.inverse(x)
  base = glow.distribution.distribution.log_prob(z).numpy()
  np.testing.assert_allclose(glow.distribution.log_prob(x), base + ildj, atol=1e-8)


def test_conditional_model_log_det_matches_autodiff():
  glow = tiny_glow("float64", num_classes=3)
  x, labels = images(2, dtype=tf.float64), tf.constant([0, 2])
  kwargs = glow.bijector_kwargs(labels)
  ildj = glow.bijector.inverse_log_det_jacobian(x, event_ndims=3, **kwargs).numpy()
  np.testing.assert_allclose(
      ildj, autodiff_log_det(lambda t: glow.bijector.inverse(t, **kwargs), x), atol=1e-6)
  log_prob = glow.log_prob(fresh(x), labels).numpy()
  other = glow.log_prob(fresh(x), tf.constant([1, 1])).numpy()
  assert not np.allclose(log_prob, other)


@pytest.mark.parametrize("permutation", ["lu", "conv", "shuffle", "reverse"])
@pytest.mark.parametrize("coupling", ["affine", "additive"])
def test_round_trips_in_float32(coupling, permutation):
  glow = tiny_glow(coupling=coupling, permutation=permutation)
  x = images(3)
  np.testing.assert_allclose(glow.bijector.forward(fresh(glow.bijector.inverse(x))), x, atol=1e-5)
  z = tf.random.stateless_normal([3, 4, 4, 3], [2, 2])
  np.testing.assert_allclose(glow.bijector.inverse(fresh(glow.bijector.forward(z))), z, atol=1e-5)


def test_encode_decode_per_level_latents():
  glow = tiny_glow()
  x = images(2)
  latents = glow.encode(x)
  assert [tuple(l.shape[1:]) for l in latents] == multiscale.latent_shapes(glow.config) == [(2, 2, 6), (1, 1, 24)]
  np.testing.assert_allclose(glow.decode([fresh(l) for l in latents]), x, atol=1e-5)
  z = glow.merge_latents(latents)
  np.testing.assert_array_equal(glow.merge_latents(glow.split_latents(z)), z)


def test_two_models_built_alike_encode_the_same_tensor_with_their_own_weights():
  # TFP's cache is keyed by the bijector and the input tensor, and TFP's bijectors compare by constructor
  # arguments: built alike, the second model was handed the first one's cached output.
  first, second = tiny_glow(seed=3), tiny_glow(seed=3)
  randomize(second, seed=4, scale=0.03)
  x = images(2)
  assert first.bijector != second.bijector
  for glow in (first, second):
    np.testing.assert_allclose(glow.bijector.inverse(x), glow.bijector.inverse(fresh(x)), atol=1e-6)
  assert np.abs(first.bijector.inverse(x) - second.bijector.inverse(x)).max() > 1e-3


def hand_count(coupling, permutation, steps=1, hidden=8):
  """Trainable parameters of Glow(image (4, 4, 1), L=2) worked out layer by layer."""
  def step(c):
    actnorm = 2 * c
    mixing = {"lu": 2 * c * c + c, "conv": c * c, "shuffle": 0, "reverse": 0}[permutation]
    out = c if coupling == "affine" else c // 2
    network = 9 * (c // 2) * hidden + 2 * hidden + hidden * hidden + 2 * hidden + 9 * hidden * out + 2 * out
    return actnorm + mixing + network

  level0 = steps * step(4) + (9 * 2 * 4 + 2 * 4)  # 4 channels after squeeze; the split prior's zero conv.
  level1 = steps * step(8) + 2 * 8  # 2 staying channels, 8 after squeeze; the learned top prior.
  return level0 + level1


@pytest.mark.parametrize("permutation", ["lu", "conv", "shuffle", "reverse"])
@pytest.mark.parametrize("coupling", ["affine", "additive"])
def test_trainable_parameter_count_matches_hand_count(coupling, permutation):
  glow = Glow(GlowConfig(image_shape=(4, 4, 1), levels=2, steps_per_level=1, hidden_channels=8,
                         coupling=coupling, permutation=permutation))
  variables = glow.trainable_variables
  assert len({id(v) for v in variables}) == len(variables)
  assert len({v.name for v in variables}) == len(variables)
  assert sum(int(np.prod(v.shape)) for v in variables) == hand_count(coupling, permutation)


def test_conditional_and_fixed_top_priors_change_the_count_as_expected():
  base = dict(image_shape=(4, 4, 1), levels=2, steps_per_level=1, hidden_channels=8)
  count = lambda **kw: sum(int(np.prod(v.shape)) for v in Glow(GlowConfig(**base, **kw)).trainable_variables)
  assert count(learn_top_prior=False) == hand_count("affine", "lu") - 2 * 8
  assert count(num_classes=5) == hand_count("affine", "lu") + 5 * 2 * 8


def test_log_prob_and_sample_trace_with_unknown_batch_size():
  glow = tiny_glow()
  log_prob = tf.function(glow.log_prob, input_signature=[tf.TensorSpec([None, 4, 4, 3], tf.float32)])
  sample = tf.function(
      lambda n: glow.sample(n, temperature=0.7, seed=tf.constant([1, 2])),
      input_signature=[tf.TensorSpec([], tf.int32)])
  for batch in (1, 5):
    assert log_prob(images(batch)).shape == (batch,)
    assert sample(tf.constant(batch)).shape == (batch, 4, 4, 3)
  assert sample(tf.constant(0)).shape == (0, 4, 4, 3)


def test_log_prob_and_sample_run_under_xla():
  glow = tiny_glow()
  x = images(3)
  expected = glow.log_prob(x).numpy()
  np.testing.assert_allclose(tf.function(glow.log_prob, jit_compile=True)(fresh(x)), expected, rtol=1e-4)
  samples = tf.function(lambda: glow.sample(4, seed=tf.constant([3, 4])), jit_compile=True)()
  assert samples.shape == (4, 4, 4, 3) and np.all(np.isfinite(samples))


@pytest.mark.parametrize("permutation", PERMUTATIONS)
def test_every_permutation_takes_log_prob_and_gradients_under_xla(permutation):
  # train.py and evaluate.py compile small models with XLA by default, so each kind of 1x1 convolution needs an
  # XLA kernel for every op of its log-det and its gradient (slogdet, which the full matrix once used, has none).
  # One flow step: the rest of the model is the test above's.
  glow = tiny_glow(permutation=permutation, levels=1, steps_per_level=1)
  x = images(3)

  def log_prob_and_gradients(x):
    with tf.GradientTape() as tape:
      log_prob = glow.log_prob(x)
    return log_prob, tape.gradient(log_prob, glow.trainable_variables)

  expected, expected_gradients = log_prob_and_gradients(x)
  log_prob, gradients = tf.function(log_prob_and_gradients, jit_compile=True)(fresh(x))
  np.testing.assert_allclose(log_prob, expected, rtol=1e-4)
  for gradient, expected_gradient in zip(gradients, expected_gradients):
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-3, atol=1e-3)


def test_sampling_is_reproducible_with_a_stateless_seed_and_scaled_by_temperature():
  glow = tiny_glow()
  seed = tf.constant([5, 6])
  a, b = glow.sample(2, seed=seed), glow.sample(2, seed=seed)
  np.testing.assert_array_equal(a, b)
  cold = glow.sample(2, temperature=0.0, seed=seed)
  np.testing.assert_allclose(cold[0], cold[1], atol=1e-6)


def test_traced_log_prob_evaluates_each_coupling_network_once():
  config = GlowConfig(image_shape=(8, 8, 3), levels=2, steps_per_level=3, hidden_channels=8)
  glow = Glow(config)
  graph = tf.function(glow.log_prob).get_concrete_function(tf.TensorSpec([None, 8, 8, 3])).graph
  convolutions = [op for op in all_operations(graph) if op.type == "Conv2D"]
  # A level's flow steps share one traced function (SharedTrace), called once by each step.
  traced_steps = config.levels
  calls = [op for op in graph.get_operations() if op.type in ("PartitionedCall", "StatefulPartitionedCall")]
  assert len(calls) == config.levels * config.steps_per_level
  in_couplings = [op for op in convolutions if "_coupling/" in op.name]
  assert len(in_couplings) == 3 * traced_steps  # conv3x3, conv1x1, zero conv3x3: one network evaluation each.
  splits = config.levels - 1
  mixing = traced_steps  # Each step's invertible 1x1 convolution.
  assert len(convolutions) == 3 * traced_steps + mixing + splits


def test_float32_training_graph_has_no_float64_and_no_determinant():
  # The LU factors give log|det W| as a sum of logs; float64 would run at half the rate or worse on CPUs.
  glow = tiny_glow(num_classes=2)

  @tf.function
  def loss_and_gradients(x, labels):
    with tf.GradientTape() as tape:
      loss = -tf.reduce_mean(glow.log_prob(x, labels))
    return loss, tape.gradient(loss, glow.trainable_variables)

  graph = loss_and_gradients.get_concrete_function(
      tf.TensorSpec([None, 4, 4, 3]), tf.TensorSpec([None], tf.int32)).graph
  operations = all_operations(graph)
  assert len(operations) > 100
  assert not [op.name for op in operations if any(out.dtype == tf.float64 for out in op.outputs)]
  assert not [op.name for op in operations if "Determinant" in op.type]


def test_adam_steps_lower_the_negative_log_likelihood():
  glow = Glow(GlowConfig(**TINY), seed=0)
  x = images(16)
  glow.initialize(x)
  losses = adam_losses(glow, x)
  assert losses[-1] < losses[0] - 1.0, losses


def test_every_trainable_variable_gets_a_gradient():
  glow = tiny_glow(num_classes=2)
  with tf.GradientTape() as tape:
    loss = -tf.reduce_mean(glow.log_prob(images(4), tf.constant([0, 1, 1, 0])))
  gradients = tape.gradient(loss, glow.trainable_variables)
  missing = [v.name for v, g in zip(glow.trainable_variables, gradients) if g is None]
  assert not missing


@pytest.mark.parametrize("bad_shape", [(4, 4), (2, 4, 4, 1), (2, 8, 8, 3), (2, 4, 2, 3)])
def test_bad_image_shapes_name_the_expected_shape(bad_shape):
  glow = Glow(GlowConfig(**TINY))
  with pytest.raises(ValueError, match=r"\[batch\.\.\., 4, 4, 3\]"):
    glow.log_prob(tf.zeros(bad_shape))


def test_bad_shape_with_unknown_static_size_fails_when_run():
  glow = Glow(GlowConfig(**TINY))
  log_prob = tf.function(glow.log_prob, input_signature=[tf.TensorSpec([None, None, None, 3])])
  with pytest.raises(tf.errors.InvalidArgumentError, match=r"expected shape \[\?,4,4,3\]"):
    log_prob(tf.zeros([1, 8, 8, 3]))


def test_initialize_standardises_the_first_actnorm():
  glow = Glow(GlowConfig(**TINY))
  x = images(32) * 0.2 + 0.1
  glow.initialize(x)
  squeeze, first_step = glow.bijector.bijectors[1].bijectors[:2]
  normalized = first_step.actnorm.inverse(squeeze.inverse(x)).numpy()
  np.testing.assert_allclose(normalized.mean(axis=(0, 1, 2)), 0.0, atol=1e-4)
  np.testing.assert_allclose(normalized.std(axis=(0, 1, 2)), 1.0, atol=1e-3)


@pytest.mark.parametrize("backprop", ["stored", "invertible"])
def test_initialize_sets_every_actnorm_and_only_them(backprop):
  """Every ActNorm, the flow steps' and the coupling networks' at every level, is set from data; nothing else is."""
  glow = Glow(GlowConfig(**TINY), backprop=backprop)
  before = {v.ref(): v.numpy() for v in glow.variables}
  glow.initialize(images(32) * 0.2 + 0.1)
  scales = [v for v in glow.variables if "actnorm" in v.name and "log_scale" in v.name]
  assert len(scales) == 3 * TINY["levels"] * TINY["steps_per_level"]  # The step's and its network's two.
  # Biases may come out 0 where the layer below has already centred the data; no scale stays exactly 1.
  assert all(np.all(v.numpy() != before[v.ref()]) for v in scales)
  assert all(np.array_equal(v.numpy(), before[v.ref()]) for v in glow.variables if "actnorm" not in v.name)


def test_pixels_instead_of_model_space_are_refused_with_advice():
  glow = Glow(GlowConfig(**TINY))
  with pytest.raises(TypeError, match="preprocess"):
    glow.log_prob(tf.zeros([1, 4, 4, 3], tf.uint8))


def test_empty_batches_give_empty_results():
  glow = tiny_glow(num_classes=2)
  empty = tf.zeros([0, 4, 4, 3])
  no_labels = tf.zeros([0], tf.int32)
  assert glow.log_prob(empty, no_labels).shape == (0,)
  assert glow.sample(0, labels=no_labels).shape == (0, 4, 4, 3)
  assert [l.shape[0] for l in glow.encode(empty, no_labels)] == [0, 0]


def test_samples_with_a_sample_shape_of_several_dimensions():
  glow = tiny_glow()
  x = glow.distribution.sample([2, 3], seed=tf.constant([1, 1]))
  assert x.shape == (2, 3, 4, 4, 3)
  assert glow.distribution.log_prob(x).shape == (2, 3)
