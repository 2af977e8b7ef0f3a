"""Test-set bits/dim with one or several dequantisation draws per image."""

import gc
import math

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import Glow, GlowConfig, preprocess
from glow_tf.scoring import (_scorer, _scorers, bits_per_dim_per_image, evaluate_bits_per_dim,
                                evaluate_dequantized_bits_per_dim)

CONFIG = GlowConfig(image_shape=(4, 4, 1), levels=2, steps_per_level=1, hidden_channels=4, pixel_levels=17)
PIXELS = np.random.default_rng(0).integers(0, 17, [10, 4, 4, 1])


@pytest.fixture(scope="module")
def glow():
  model = Glow(CONFIG)
  model.initialize(preprocess(PIXELS, 17, 17, noise_seed=tf.constant([0, 0])))
  return model


def noisy_test_split(seed):
  """The same ten images in order, with noise that depends on the seed; batches of 4, the last one partial."""
  return tf.data.Dataset.from_tensor_slices(
      preprocess(PIXELS, 17, 17, noise_seed=tf.constant([seed, 1]))).batch(4)


def test_one_draw_is_the_usual_evaluation(glow):
  result = evaluate_dequantized_bits_per_dim(glow, noisy_test_split, num_dequantizations=1)
  mean, standard_error, count = evaluate_bits_per_dim(glow, noisy_test_split(0))
  assert (result.num_images, result.num_dequantizations) == (count, 1) == (10, 1)
  assert result.mean == pytest.approx(mean) and result.standard_error == pytest.approx(standard_error)
  assert result.importance_weighted == pytest.approx(mean)


def test_several_draws_average_per_image_and_bound_the_discrete_model_more_tightly(glow):
  result = evaluate_dequantized_bits_per_dim(glow, noisy_test_split, num_dequantizations=3)
  scores = np.stack([bits_per_dim_per_image(glow, noisy_test_split(seed)) for seed in range(3)])  # [3, 10]
  per_image = scores.mean(axis=0)
  assert result.mean == pytest.approx(per_image.mean())
  assert result.standard_error == pytest.approx(per_image.std(ddof=1) / math.sqrt(10))
  # Jensen: log of the mean likelihood >= mean of the log-likelihoods, so fewer bits; and at most the best draw's.
  assert scores.min(axis=0).mean() <= result.importance_weighted < result.mean


def test_progress_counts_every_image_of_every_draw(glow):
  seen = []
  evaluate_dequantized_bits_per_dim(glow, noisy_test_split, num_dequantizations=2, progress=seen.append)
  assert sum(seen) == 20


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_the_number_of_draws_must_be_a_positive_whole_number(glow, bad):
  with pytest.raises(ValueError, match="num_dequantizations must be a whole number >= 1"):
    evaluate_dequantized_bits_per_dim(glow, noisy_test_split, bad)


def test_repeated_evaluations_trace_once_per_batch_shape_and_do_not_keep_the_model(glow):
  for seed in range(3):
    evaluate_bits_per_dim(glow, noisy_test_split(seed))
  assert _scorer(glow).experimental_get_tracing_count() == 2  # Batches of 4, then the last 2 of the 10 images.
  gc.collect()
  before = len(_scorers)
  other = Glow(CONFIG)
  other.initialize(preprocess(PIXELS, 17, 17, noise_seed=tf.constant([0, 0])))
  bits_per_dim_per_image(other, noisy_test_split(0))
  assert other in _scorers and len(_scorers) == before + 1
  del other
  gc.collect()
  assert len(_scorers) == before


def test_xla_scores_what_the_graph_scores(glow):
  graph = bits_per_dim_per_image(glow, noisy_test_split(0))
  np.testing.assert_allclose(bits_per_dim_per_image(glow, noisy_test_split(0), xla=True), graph, rtol=1e-5)
