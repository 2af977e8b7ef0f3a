"""TFP's shape semantics: every layer, Glow.log_prob and the distribution take batch and sample ranks 0, 1 and 2+.

An unbatched image [H, W, C] and a batch [2, 2, H, W, C] must give what the same images give as one batch
[4, H, W, C]: the outputs reshaped, the log-dets [] and [2, 2].
"""

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import Glow, GlowConfig
from glow_tf.bijectors import (ActNorm, AffineCoupling, FlowStep, OnStayingHalf, SplitPrior, Squeeze, TopPrior,
                               make_invertible_1x1_conv)
from tests.helpers import randomize

BATCH_SHAPES = ((), (2, 2))
EVENT = (4, 4, 4)
LAYERS = {
    "actnorm": lambda: ActNorm(4, dtype=tf.float64),
    **{f"1x1 {kind}": (lambda kind=kind: make_invertible_1x1_conv(4, kind, seed=1, dtype=tf.float64))
       for kind in ("lu", "conv", "shuffle", "reverse")},
    **{coupling: (lambda coupling=coupling: AffineCoupling(4, hidden_channels=6, coupling=coupling, seed=2,
                                                          dtype=tf.float64))
       for coupling in ("affine", "additive")},
    "flow step": lambda: FlowStep(ActNorm(4, dtype=tf.float64),
                                  make_invertible_1x1_conv(4, "lu", seed=3, dtype=tf.float64),
                                  AffineCoupling(4, hidden_channels=6, seed=4, dtype=tf.float64)),
    "squeeze": Squeeze,
    "split prior": lambda: SplitPrior(4, dtype=tf.float64),
    "on staying half": lambda: OnStayingHalf(ActNorm(2, dtype=tf.float64)),
    "top prior": lambda: TopPrior(4, dtype=tf.float64),
}


def images(batch_shape, event=EVENT, seed=0):
  x = tf.random.stateless_normal([4, *event], [seed, 1], dtype=tf.float64)
  return x, tf.reshape(x[:int(np.prod(batch_shape))], [*batch_shape, *event])


def assert_like_the_batch(batched, ranked, batch_shape, log_det=False):
  """`ranked` (computed on the first prod(batch_shape) images, shaped batch_shape) agrees with `batched`.

  A log-det may be a scalar that broadcasts over the batch, as TFP allows for constant Jacobians.
  """
  count = int(np.prod(batch_shape))
  if log_det:
    batched, ranked = tf.broadcast_to(batched, [4]), tf.broadcast_to(ranked, batch_shape)
  expected = tf.reshape(batched[:count], [*batch_shape, *batched.shape[1:]])
  assert ranked.shape == expected.shape
  np.testing.assert_allclose(ranked, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("batch_shape", BATCH_SHAPES, ids=["rank 0", "rank 2"])
@pytest.mark.parametrize("name", LAYERS)
def test_every_layer_takes_unbatched_and_multiply_batched_images(name, batch_shape):
  layer = LAYERS[name]()
  randomize(layer, scale=0.3)
  x, ranked = images(batch_shape)
  for direction, log_det in (("forward", "forward_log_det_jacobian"), ("inverse", "inverse_log_det_jacobian")):
    assert_like_the_batch(getattr(layer, direction)(x), getattr(layer, direction)(ranked), batch_shape)
    assert_like_the_batch(getattr(layer, log_det)(x, event_ndims=3),
                          getattr(layer, log_det)(ranked, event_ndims=3), batch_shape, log_det=True)


@pytest.mark.parametrize("batch_shape", BATCH_SHAPES, ids=["rank 0", "rank 2"])
def test_a_conditional_prior_takes_labels_of_the_images_batch_shape(batch_shape):
  prior = TopPrior(4, num_classes=3, dtype=tf.float64)
  randomize(prior, scale=0.3)
  x, ranked = images(batch_shape)
  labels = tf.constant([2, 0, 1, 2])
  ranked_labels = tf.reshape(labels[:int(np.prod(batch_shape))], batch_shape)
  assert_like_the_batch(prior.inverse(x, labels=labels), prior.inverse(ranked, labels=ranked_labels), batch_shape)
  assert_like_the_batch(prior.inverse_log_det_jacobian(x, event_ndims=3, labels=labels),
                        prior.inverse_log_det_jacobian(ranked, event_ndims=3, labels=ranked_labels), batch_shape,
                        log_det=True)


@pytest.fixture(scope="module")
def glow():
  config = GlowConfig(image_shape=(8, 8, 1), levels=2, steps_per_level=1, hidden_channels=4, pixel_levels=17,
                      dtype="float64", num_classes=3)
  model = Glow(config)
  x, _ = images((), event=(8, 8, 1))
  model.initialize(x, tf.constant([0, 1, 2, 0]))
  randomize(model, scale=0.05)
  return model


@pytest.mark.parametrize("batch_shape", BATCH_SHAPES, ids=["rank 0", "rank 2"])
def test_glow_and_its_distribution_score_any_batch_rank(glow, batch_shape):
  x, ranked = images(batch_shape, event=(8, 8, 1), seed=3)
  x, ranked = x * 0.2, ranked * 0.2
  labels = tf.constant([2, 0, 1, 2])
  ranked_labels = tf.reshape(labels[:int(np.prod(batch_shape))], batch_shape)
  assert_like_the_batch(glow.log_prob(x, labels), glow.log_prob(ranked, ranked_labels), batch_shape)
  scored = glow.distribution.log_prob(ranked, bijector_kwargs=glow.bijector_kwargs(ranked_labels))
  assert_like_the_batch(glow.log_prob(x, labels), scored, batch_shape)


@pytest.mark.parametrize("sample_shape", [(), (3,), (2, 3)], ids=["rank 0", "rank 1", "rank 2"])
def test_the_distribution_samples_any_sample_rank(sample_shape):
  model = Glow(GlowConfig(image_shape=(8, 8, 1), levels=2, steps_per_level=1, hidden_channels=4, pixel_levels=17))
  model.initialize(tf.random.stateless_uniform([4, 8, 8, 1], [0, 0], -0.5, 0.5))
  dist = model.distribution
  assert dist.sample(sample_shape, seed=(1, 2)).shape == (*sample_shape, 8, 8, 1)
  x, log_prob = dist.experimental_sample_and_log_prob(sample_shape, seed=(1, 2))
  assert x.shape == (*sample_shape, 8, 8, 1) and log_prob.shape == sample_shape
  np.testing.assert_allclose(log_prob, dist.log_prob(tf.identity(x)), rtol=1e-4, atol=1e-3)
