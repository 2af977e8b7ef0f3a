"""Polyak averaging: the average is what a run evaluates, keeps, loads and exports; the trained weights never change."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import Glow, GlowConfig, data
from glow_tf.export import export_model
from glow_tf.loading import load_model
from glow_tf.scoring import evaluate_bits_per_dim
from glow_tf.training import TrainConfig, Trainer, train
from glow_tf.training.averaging import WeightAverage, has_average
from glow_tf.training.checkpoints import RunCheckpoints
from glow_tf.training.strategy import worker_role

CONFIG = GlowConfig(image_shape=(8, 8, 1), levels=2, steps_per_level=2, hidden_channels=8, pixel_levels=17)


def digits(split, batch_size=32, seed=0):
  return data.make_pipeline("digits", CONFIG, split=split, batch_size=batch_size, training=split == "train",
                            seed=seed)


def weights(trainer):
  return [v.numpy() for v in trainer.glow.trainable_variables]


def test_the_average_follows_its_formula_and_leaves_the_trained_weights_alone():
  averaged = Trainer(CONFIG, TrainConfig(batch_size=32, warmup_steps=0, learning_rate=1e-2, ema_decay=0.5))
  plain = Trainer(CONFIG, TrainConfig(batch_size=32, warmup_steps=0, learning_rate=1e-2, ema_decay=0))
  batches = list(digits("train").take(4))
  expected = None
  for trainer in (averaged, plain):
    trainer.initialize(batches[0])
  for t, x in enumerate(batches):
    for trainer in (averaged, plain):
      trainer.train_step(x)
    keep = min(0.5, t / (t + 10))
    expected = [keep * a + (1 - keep) * w if expected else w
                for a, w in zip(expected or weights(averaged), weights(averaged))]
  raw = weights(averaged)
  for mine, theirs in zip(raw, weights(plain)):  # Averaging never feeds back into training.
    np.testing.assert_array_equal(mine, theirs)
  with averaged.averaged_weights():
    inside = weights(averaged)
  for got, want, trained in zip(inside, expected, raw):
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
  assert any(not np.allclose(got, trained) for got, trained in zip(inside, raw))
  for after, before in zip(weights(averaged), raw):
    np.testing.assert_array_equal(after, before)
  with plain.averaged_weights():
    for got, trained in zip(weights(plain), raw):
      np.testing.assert_array_equal(got, trained)


def train_run(model_dir, steps, ema_decay):
  config = TrainConfig(model_dir=model_dir, steps=steps, batch_size=32, init_batch_size=64, learning_rate=1e-2,
                       warmup_steps=0, eval_every=steps, checkpoint_every=2, sample_every=0, ema_decay=ema_decay)
  return train(CONFIG, config, log=lambda _: None), config


def restarted(config):
  """A Trainer restored from the run's latest checkpoint, as a resumed run restores it."""
  trainer = Trainer(CONFIG, config)
  path = RunCheckpoints(trainer.checkpoint(data_rng=tf.random.Generator.from_seed(0)), config.model_dir,
                        worker_role(trainer.strategy)).restore()
  trainer.restored(path)
  return trainer


def checkpoint_averages(path):
  """The checkpoint's averages, one array per weight of a `CONFIG` model (in one flat entry, in the weights' order)."""
  flat = tf.train.load_checkpoint(path).get_tensor("average/flat/.ATTRIBUTES/VARIABLE_VALUE")
  shapes = [v.shape for v in Glow(CONFIG).trainable_variables]
  ends = np.cumsum([shape.num_elements() for shape in shapes])
  assert flat.shape == (ends[-1],)
  return [piece.reshape(shape) for piece, shape in zip(np.split(flat, ends[:-1]), shapes)]


@pytest.mark.slow
def test_a_run_evaluates_keeps_loads_exports_and_resumes_the_average(tmp_path):
  model_dir = str(tmp_path / "run")
  result, config = train_run(model_dir, steps=6, ema_decay=0.9)
  latest = result.checkpoint
  averages = checkpoint_averages(latest)
  assert averages

  # evaluate.py, the export and the best model see the average; the checkpoint keeps the trained weights too.
  loaded = load_model(model_dir)
  for variable, average in zip(loaded.glow.trainable_variables, averages):
    np.testing.assert_array_equal(variable.numpy(), average)
  test_set = digits("test", 64, seed=config.seed)
  rescored, _, _ = evaluate_bits_per_dim(loaded.glow, test_set)
  assert rescored == pytest.approx(result.test_bits_per_dim, abs=1e-5)
  best = load_model(model_dir, checkpoint="best")
  assert best.step == 6
  for variable, average in zip(best.glow.trainable_variables, averages):
    np.testing.assert_array_equal(variable.numpy(), average)
  served = load_model(export_model(model_dir)).glow
  for variable, average in zip(served.trainable_variables, averages):
    np.testing.assert_array_equal(variable.numpy(), average)

  # A restart restores the trained weights and their average, each from its own entry.
  trainer = restarted(config)
  assert any(not np.allclose(w, a) for w, a in zip(weights(trainer), averages))
  with trainer.averaged_weights():
    for variable, average in zip(trainer.glow.trainable_variables, averages):
      np.testing.assert_array_equal(variable.numpy(), average)
  resumed, _ = train_run(model_dir, steps=8, ema_decay=0.9)
  assert resumed.step == 8 and has_average(resumed.checkpoint)


@pytest.mark.slow
def test_a_run_without_averaging_keeps_and_exports_its_trained_weights(tmp_path):
  model_dir = str(tmp_path / "run")
  result, config = train_run(model_dir, steps=4, ema_decay=0)
  assert not has_average(result.checkpoint)
  trained = weights(restarted(config))
  for variable, weight in zip(load_model(model_dir).glow.trainable_variables, trained):
    np.testing.assert_array_equal(variable.numpy(), weight)
  # Resuming with averaging switched on starts the average from the trained weights.
  trainer = restarted(dataclasses.replace(config, ema_decay=0.9))
  with trainer.averaged_weights():
    for got, weight in zip(weights(trainer), trained):
      np.testing.assert_array_equal(got, weight)
  resumed, _ = train_run(model_dir, steps=6, ema_decay=0.9)
  assert has_average(resumed.checkpoint)


def test_an_average_over_weights_of_different_dtypes_is_refused():
  with pytest.raises(ValueError, match="share one dtype"):
    WeightAverage([tf.Variable(1.0), tf.Variable(1.0, dtype=tf.float64)], decay=0.5)
