"""evaluate.py's modes in-process, on a class-conditional digits model: labels reach every decoder."""

import os

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import GlowConfig
from glow_tf.evaluator import Evaluator
from glow_tf.export import export_saved_model
from glow_tf.sampling import grid_labels
from glow_tf.training import TrainConfig, train
from tests.tiny_export import trained_glow

CONFIG = GlowConfig(image_shape=(8, 8, 1), levels=2, steps_per_level=1, hidden_channels=8, pixel_levels=17,
                    num_classes=10)


@pytest.fixture(scope="module")
def evaluator(tmp_path_factory):
  model_dir = str(tmp_path_factory.mktemp("run") / "digits")
  train(CONFIG, TrainConfig(dataset="digits", conditional=True, model_dir=model_dir, batch_size=32, steps=3,
                            warmup_steps=0, init_batch_size=64, eval_every=0, sample_every=0, checkpoint_every=3),
        log=lambda _: None)
  lines = []
  return Evaluator.open(model_dir, batch_size=32, log=lines.append), lines


def grid(path):
  return tf.io.decode_png(tf.io.read_file(path)).numpy()


def test_conditional_samples_put_one_class_in_each_column(evaluator):
  evaluator, _ = evaluator
  assert evaluator.output_dir.endswith(os.path.join("digits", "eval"))
  labels, columns, titles = grid_labels(evaluator.config, 20, attribute_vectors=None)
  assert columns == 10 and list(labels) == list(range(10)) * 2 and titles == evaluator.config.label_names
  (path,) = evaluator.samples([0.7], 20)
  assert grid(path).shape == (8 * (2 * 9 + 1), 8 * (10 * 9 + 1), 1)


def test_grid_labels_of_unconditional_and_attribute_models():
  assert grid_labels(GlowConfig(), 4, attribute_vectors=None) == (None, None, ())
  attributes = GlowConfig(num_classes=3, label_kind="multi_hot", label_names=("a", "b", "c"))
  labels, columns, titles = grid_labels(attributes, 4, attribute_vectors=lambda n: np.ones([n, 3]))
  assert labels.shape == (4, 3) and columns is None and titles == ()


def test_a_saved_model_knows_its_label_kind_without_a_dataset(conditional_saved_model, tmp_path):
  evaluator = Evaluator.open(conditional_saved_model[2], output_dir=str(tmp_path), needs_data=False, log=print)
  (path,) = evaluator.samples([0.5], 10)
  assert grid(path).shape == (8 * (1 * 9 + 1), 8 * (10 * 9 + 1), 1)  # One class per column.
  attributes = export_saved_model(trained_glow(num_classes=5, label_kind="multi_hot"), str(tmp_path / "attr"), 1)
  evaluator = Evaluator.open(attributes, output_dir=str(tmp_path), needs_data=False, log=print)
  with pytest.raises(ValueError, match="attribute vectors: name its dataset with --dataset"):
    evaluator.samples([0.5], 4)


def test_interpolation_between_classes_interpolates_their_labels_too(evaluator):
  evaluator, _ = evaluator
  path = evaluator.interpolate(num_pairs=2, num_steps=4)
  assert grid(path).shape == (8 * (2 * 9 + 1), 8 * (4 * 9 + 1), 1)
  vectors = evaluator._label_vectors(np.array([1, 3], np.int32))
  np.testing.assert_array_equal(vectors.argmax(axis=1), [1, 3])


def test_reconstruction_manipulation_and_bits_per_dim_run_with_labels(evaluator):
  evaluator, lines = evaluator
  result = evaluator.reconstruct(num_images=3)
  assert result.model_space_error < 1e-3 and result.pixel_error == 0
  path = evaluator.manipulate("7", alphas=[-1, 1], num_images=3, num_direction_images=100)
  assert grid(path).shape == (8 * (3 * 9 + 1), 8 * (2 * 9 + 1), 1)
  bpd = evaluator.bits_per_dim(num_dequantizations=1, eval_batches=1)
  assert bpd.num_images == 32 and np.isfinite(bpd.mean)
  assert any(line.startswith("test bits/dim") for line in lines)


def test_an_unknown_class_lists_the_choices(evaluator):
  evaluator, _ = evaluator
  with pytest.raises(ValueError, match="Unknown class '11' for digits; choose one of 0, 1, 2"):
    evaluator.manipulate("11", alphas=[1.0])
