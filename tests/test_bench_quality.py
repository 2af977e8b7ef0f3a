"""bench/quality.py scores every implementation with one evaluator: it must be glow_tf's own bits/dim, and its
RGB crops must keep test pixels out of training."""

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import Glow, GlowConfig, data
from glow_tf.pixels import bits_per_dim
from glow_tf.scoring import evaluate_bits_per_dim
from tests.helpers import bench_module, randomize


@pytest.fixture(scope="module")
def quality():
  with bench_module("quality") as module:
    yield module


def test_the_evaluator_is_glow_tf_bits_per_dim(quality):
  config = GlowConfig(image_shape=(8, 8, 1), levels=2, steps_per_level=2, hidden_channels=8, pixel_levels=17)
  glow = Glow(config)
  test_set = data.make_pipeline("digits", config, "test", batch_size=32, training=False, seed=3).take(2)
  glow.initialize(next(iter(test_set)))
  randomize(glow, seed=1)
  batches = [x.numpy() for x in test_set]
  log_prob = lambda x: glow.log_prob(tf.constant(x)).numpy()
  evaluated = quality.test_bits_per_dim(log_prob, [batches[:1]], config.num_dims, config.n_bins)
  assert evaluated == pytest.approx(float(np.mean(bits_per_dim(glow.log_prob(batches[0]), config.num_dims,
                                                               config.n_bins))), rel=1e-6)
  scored, _, _ = evaluate_bits_per_dim(glow, test_set)
  both = quality.test_bits_per_dim(log_prob, [batches], config.num_dims, config.n_bins)
  assert both == pytest.approx(scored, rel=1e-6) and evaluated != pytest.approx(both, rel=1e-4)


def test_the_crops_folder_split_is_its_test_crops_and_nine_training_crops_each(quality, tmp_path):
  name = quality.write_crops_folder(str(tmp_path / "crops"))
  info = data.dataset_info(name)
  assert info.image_shape == (32, 32, 3) and info.num_train == 9 * info.num_test
  test_paths = data.folder._split(data.folder._contents(name).paths, "test")
  assert all(path.endswith("_0.png") for path in test_paths)
  train_paths = data.folder._split(data.folder._contents(name).paths, "train")
  assert not any(path.endswith("_0.png") for path in train_paths)
