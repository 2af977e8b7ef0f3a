"""Trained models back from disk: a training run's directory, or one version of an exported SavedModel."""

import dataclasses
import json
import os

import tensorflow as tf

from glow_tf.config import GlowConfig
from glow_tf.model import Glow
from glow_tf.training import run_directory


@dataclasses.dataclass
class LoadedModel:
  """A restored `Glow` and what its directory says about how it was trained.

  Attributes:
    glow: the model, with its trained weights.
    path: the directory it came from.
    step: the training step of the checkpoint, or None for a SavedModel.
    dataset: the dataset it was trained on (from the run's train_config.json), or None for a SavedModel.
    data_dir: the run's tensorflow_datasets directory, if any.
  """

  glow: Glow
  path: str
  step: int | None = None
  dataset: str | None = None
  data_dir: str | None = None


def is_saved_model(path):
  return os.path.exists(os.path.join(path, "saved_model.pb"))


def load_model(path):
  """Restores the model in `path`: a run directory (config.json + checkpoints/) or a SavedModel version directory.

  Raises:
    FileNotFoundError: `path` holds neither, or no checkpoint yet.
  """
  if not os.path.isdir(path):
    raise FileNotFoundError(f"No model directory at {path}; pass a training run's --model_dir or a SavedModel version.")
  if is_saved_model(path):
    return _load_saved_model(path)
  return _load_run(path)


def _load_run(model_dir):
  glow = Glow(GlowConfig.load(os.path.join(model_dir, run_directory.CONFIG_FILE)))
  latest = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
  if latest is None:
    raise FileNotFoundError(f"{model_dir} has a config.json but no checkpoint yet; train it first (python train.py).")
  step = tf.Variable(0, dtype=tf.int64)
  # expect_partial: the optimiser's slots and the data order are in the checkpoint too, and not needed here.
  tf.train.Checkpoint(model=glow, step=step).restore(latest).expect_partial().assert_existing_objects_matched()
  train_config = _read_json(os.path.join(model_dir, run_directory.TRAIN_CONFIG_FILE))
  return LoadedModel(glow, model_dir, int(step), train_config.get("dataset"), train_config.get("data_dir"))


def _load_saved_model(path):
  glow = Glow(GlowConfig.load(os.path.join(path, run_directory.CONFIG_FILE)))
  # The SavedModel tracks the model as `model`, as checkpoints do, so its variables read straight back.
  status = tf.train.Checkpoint(model=glow).read(os.path.join(path, "variables", "variables"))
  status.expect_partial().assert_existing_objects_matched()
  return LoadedModel(glow, path)


def _read_json(path):
  if not os.path.exists(path):
    return {}
  with open(path) as f:
    return json.load(f)
