"""The best model by test bits/dim: kept apart from the latest checkpoints, restored, resumed, early stopping."""

import os

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import GlowConfig, data
from glow_tf.loading import load_model
from glow_tf.run_layout import read_best
from glow_tf.scoring import evaluate_bits_per_dim
from glow_tf.training import TrainConfig, train
from tests.runs import latest_checkpoint

CONFIG = GlowConfig(image_shape=(8, 8, 1), levels=2, steps_per_level=2, hidden_channels=16, pixel_levels=17)
EVAL_EVERY = 2


def run(model_dir, steps, **overrides):
  """Trains on the digits' negatives and evaluates on the digits: the test bits/dim soon worsens, as in a run
  that overfits, so the best model is an early one. Returns (result, {step: test bits/dim of its evaluation})."""
  config = TrainConfig(model_dir=model_dir, steps=steps, batch_size=32, init_batch_size=64, learning_rate=1e-2,
                       warmup_steps=0, eval_every=EVAL_EVERY, checkpoint_every=EVAL_EVERY, sample_every=0,
                       log_every=EVAL_EVERY, **overrides)
  negatives = data.make_pipeline("digits", CONFIG, split="train", batch_size=32, training=True).map(lambda x: -x)
  evaluations = {}

  def record(progress):
    if progress.evaluated_step == progress.step:
      evaluations[progress.step] = progress.test_bits_per_dim

  result = train(CONFIG, config, train_batches=negatives, test_batches=digits_test_set(config.seed), on_step=record,
                 log=lambda _: None)
  if result.test_bits_per_dim is not None:
    evaluations[result.step] = result.test_bits_per_dim  # The run's last evaluation, after its last step.
  return result, evaluations


def digits_test_set(seed):
  return data.make_pipeline("digits", CONFIG, split="test", batch_size=64, training=False, seed=seed)


def kept_steps(model_dir):
  state = tf.train.get_checkpoint_state(os.path.join(model_dir, "checkpoints"))
  return [int(path.rsplit("-", 1)[1]) for path in state.all_model_checkpoint_paths]


@pytest.mark.slow
def test_the_best_model_is_the_lowest_evaluation_outlives_max_to_keep_and_scores_the_same_restored(tmp_path):
  model_dir = str(tmp_path / "run")
  result, logged = run(model_dir, steps=16)
  assert len(logged) == 8 and result.step == 16
  best_step = min(logged, key=logged.get)
  assert result.best_step == best_step and read_best(model_dir).step == best_step
  assert result.best_test_bits_per_dim == pytest.approx(logged[best_step], abs=1e-4)
  assert logged[16] > logged[best_step]  # The run did get worse: the best model is not the last.
  assert best_step not in kept_steps(model_dir)  # max_to_keep=3 removed its checkpoint there.

  loaded = load_model(model_dir, checkpoint="best")
  assert loaded.step == best_step and loaded.test_bits_per_dim == result.best_test_bits_per_dim
  rescored, _, _ = evaluate_bits_per_dim(loaded.glow, digits_test_set(seed=0))
  assert rescored == pytest.approx(result.best_test_bits_per_dim, abs=1e-5)
  latest = load_model(model_dir)
  assert latest.step == 16 and latest.test_bits_per_dim is None


@pytest.mark.slow
def test_patience_stops_after_that_many_evaluations_without_a_better_one_and_resume_keeps_the_best(tmp_path):
  model_dir = str(tmp_path / "run")
  result, logged = run(model_dir, steps=6)
  first_best = read_best(model_dir)
  assert first_best.step == min(logged, key=logged.get)

  # Resumed with patience: the evaluations before the restart count too, and the run stops at the third
  # evaluation in a row that is no better than the best.
  result, resumed = run(model_dir, steps=40, patience=3)
  assert min(resumed) > 6  # It trained on.
  assert result.stopped_early and result.step == result.best_step + 3 * EVAL_EVERY < 40
  everything = {**logged, **resumed}
  assert result.best_step == min(everything, key=everything.get)
  assert len([step for step in everything if step > result.best_step]) == 3
  assert all(everything[step] > everything[result.best_step] for step in everything if step > result.best_step)
  assert latest_checkpoint(model_dir).endswith(f"ckpt-{result.step}")

  # Run again, it trains no further: it has already stopped early.
  again, _ = run(model_dir, steps=40, patience=3)
  assert again.stopped_early and again.step == result.step and again.best_step == result.best_step


def test_patience_needs_evaluations():
  with pytest.raises(ValueError, match="patience counts evaluations: it needs eval_every > 0"):
    TrainConfig(patience=3, eval_every=0)
  with pytest.raises(ValueError, match="patience must be a whole number >= 0"):
    TrainConfig(patience=-1)


def test_loading_a_best_model_that_does_not_exist_says_how_it_comes_to_be(tmp_path):
  model_dir = tmp_path / "run"
  model_dir.mkdir()
  CONFIG.save(str(model_dir / "config.json"))
  with pytest.raises(FileNotFoundError, match="no best model yet: it is kept at each test-set evaluation"):
    load_model(str(model_dir), checkpoint="best")
  with pytest.raises(ValueError, match="Unknown checkpoint 'newest'; choose one of 'latest', 'best'"):
    load_model(str(model_dir), checkpoint="newest")
  np.testing.assert_equal(read_best(str(model_dir)), None)
