"""Trained models back from disk: a training run's directory, or one version of an exported SavedModel."""

import dataclasses
import json
import os

import tensorflow as tf
from absl import logging

from glow_tf import checkpoint_files, run_layout
from glow_tf.choices import CHECKPOINTS, check_choice
from glow_tf.model import Glow
from glow_tf.model_config import GlowConfig
from glow_tf.training.averaging import restore_average_into



@dataclasses.dataclass
class LoadedModel:
  """A restored `Glow` and what its directory says about how it was trained.

  Attributes:
    glow: the model, with its trained weights.
    path: the directory it came from.
    step: the training step of the checkpoint, or None for a SavedModel.
    dataset: the dataset it was trained on (from the run's train_config.json), or None for a SavedModel.
    data_dir: the run's tensorflow_datasets directory, if any.
    test_bits_per_dim: for the best checkpoint, the test bits/dim that made it the best.
  """

  glow: Glow
  path: str
  step: int | None = None
  dataset: str | None = None
  data_dir: str | None = None
  test_bits_per_dim: float | None = None


def is_saved_model(path):
  return os.path.exists(os.path.join(path, "saved_model.pb"))


def load_model(path, checkpoint="latest"):
  """Restores the model in `path`: a run directory (config.json + checkpoints/) or a SavedModel version directory.

  Args:
    path: the directory.
    checkpoint: for a run directory, `"latest"` or `"best"` (the one with the lowest test bits/dim of the
      run's evaluations).

  Raises:
    FileNotFoundError: `path` holds neither, or no such checkpoint yet.
    checkpoint_files.UnreadableCheckpoints: the run has checkpoints and none can be read (a newer damaged one is
      skipped with a warning for the newest that can).
  """
  check_choice("checkpoint", checkpoint, CHECKPOINTS)
  if not os.path.isdir(path):
    raise FileNotFoundError(f"No model directory at {path}; pass a training run's --model_dir or a SavedModel version.")
  if is_saved_model(path):
    if checkpoint != "latest":
      raise ValueError(f"{path} is a SavedModel, which holds one model: checkpoint={checkpoint!r} is for run "
                       f"directories.")
    return _load_saved_model(path)
  return _load_run(path, checkpoint)


def _load_run(model_dir, checkpoint):
  glow = Glow(GlowConfig.load(os.path.join(model_dir, run_layout.CONFIG_FILE)))
  best = None
  if checkpoint == "best":
    best = run_layout.read_best(model_dir)
    if best is None:
      raise FileNotFoundError(f"{model_dir} has no best model yet: it is kept at each test-set evaluation "
                              f"(--eval_every); load its latest checkpoint instead.")
    path = best.path
  else:
    # The newest that reads whole: a damaged one (a torn copy, a full disk) is skipped with a warning, and left
    # where it is for the run that owns the directory to set aside.
    path, damaged = checkpoint_files.newest_readable(run_layout.checkpoints_dir(model_dir))
    for bad, reason in damaged:
      logging.warning("Skipping checkpoint %s, which cannot be read (%s); loading %s.", bad, reason, path)
    if path is None:
      raise FileNotFoundError(
          f"{model_dir} has a config.json but no checkpoint yet; train it first (python train.py).")
  step = tf.Variable(0, dtype=tf.int64)
  # expect_partial: the optimiser's slots and the data order are in the checkpoint too, and not needed here.
  run_layout.model_checkpoint(glow, **{run_layout.STEP: step}).restore(path).expect_partial() \
      .assert_existing_objects_matched()
  # A run with Polyak averaging evaluates, samples and exports the average: so does everything that loads it.
  restore_average_into(glow.trainable_variables, path)
  train_config = _read_json(os.path.join(model_dir, run_layout.TRAIN_CONFIG_FILE))
  return LoadedModel(glow, model_dir, int(step), train_config.get("dataset"), train_config.get("data_dir"),
                     best and best.test_bits_per_dim)


def _load_saved_model(path):
  glow = Glow(GlowConfig.load(os.path.join(path, run_layout.CONFIG_FILE)))
  status = run_layout.model_checkpoint(glow).read(os.path.join(path, "variables", "variables"))
  status.expect_partial().assert_existing_objects_matched()
  return LoadedModel(glow, path)


def _read_json(path):
  if not os.path.exists(path):
    return {}
  with open(path) as f:
    return json.load(f)
