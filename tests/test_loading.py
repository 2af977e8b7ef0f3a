"""Restoring a model from a run directory or a SavedModel version, and the errors when there is none."""

import os

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import GlowConfig
from glow_tf.loading import load_model
from glow_tf.pixels import bin_centres
from glow_tf.training import TrainConfig, Trainer, train
from tests.runs import latest_checkpoint
from tests.tiny_run import REPO

CONFIG = GlowConfig(image_shape=(4, 4, 1), levels=2, steps_per_level=1, hidden_channels=4)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
  model_dir = str(tmp_path_factory.mktemp("run") / "run")
  batches = tf.data.Dataset.from_tensor_slices(
      np.random.default_rng(0).uniform(-0.5, 0.5, [20, 8, 4, 4, 1]).astype(np.float32))
  config = TrainConfig(model_dir=model_dir, batch_size=8, steps=3, warmup_steps=0, checkpoint_every=3, eval_every=0,
                       sample_every=0, log_every=1, dataset="digits")
  train(CONFIG, config, log=lambda _: None, train_batches=batches)
  return model_dir


def test_a_run_restores_its_latest_checkpoint_and_what_it_trained_on(run):
  loaded = load_model(run)
  assert (loaded.step, loaded.dataset, loaded.data_dir, loaded.path) == (3, "digits", None, run)
  trainer = Trainer(CONFIG, TrainConfig())
  latest = latest_checkpoint(run)
  trainer.checkpoint().restore(latest).expect_partial()
  trainer.restored(latest)
  with trainer.averaged_weights():  # What the run evaluated and exported.
    for restored, trained in zip(loaded.glow.variables, trainer.glow.variables):
      np.testing.assert_array_equal(restored, trained)


def test_missing_directories_configs_and_checkpoints_are_named(tmp_path):
  with pytest.raises(FileNotFoundError, match="No model directory at .*nowhere"):
    load_model(str(tmp_path / "nowhere"))
  with pytest.raises(FileNotFoundError, match="No Glow config at .*config.json"):
    load_model(str(tmp_path))
  CONFIG.save(str(tmp_path / "config.json"))
  with pytest.raises(FileNotFoundError, match="no checkpoint yet; train it first"):
    load_model(str(tmp_path))


def test_the_shipped_saved_model_restores_into_todays_layers():
  # saved_models/digits/1 was exported by an earlier glow_tf: its graph still scores images as it did, and its
  # variables, read into the layers as they are now, must score them the same.
  path = os.path.join(REPO, "saved_models", "digits", "1")
  images = tf.constant(np.random.default_rng(0).integers(0, 17, [3, 8, 8, 1]), tf.uint8)
  served = tf.saved_model.load(path).signatures["log_prob"](images=images)["log_prob"]
  glow = load_model(path).glow
  np.testing.assert_allclose(glow.log_prob(bin_centres(images, 17, 17)), served, rtol=1e-5)
