"""Where things are in a training run's directory, for the code that writes a run (training) and the code that
reads one back (loading, export, evaluate.py).

  <model_dir>/config.json         the model's GlowConfig
  <model_dir>/train_config.json   the run's TrainConfig, as last started
  <model_dir>/checkpoints/        the latest checkpoints
  <model_dir>/best/               the checkpoint with the best test bits/dim, and its score
  <model_dir>/samples/            sample grids, one folder per step
  <model_dir>/logs/               TensorBoard
"""

import dataclasses
import os

import tensorflow as tf

from glow_tf import checkpoint_files

CONFIG_FILE = "config.json"
TRAIN_CONFIG_FILE = "train_config.json"

# The best checkpoint's record, under the names `training.BestModel` saves it by: read without building a model.
_BEST_STEP_KEY = "step/.ATTRIBUTES/VARIABLE_VALUE"
_BEST_BITS_KEY = "test_bits_per_dim/.ATTRIBUTES/VARIABLE_VALUE"


def checkpoints_dir(model_dir):
  return os.path.join(model_dir, "checkpoints")


def best_dir(model_dir):
  """The checkpoint with the best test bits/dim so far: outside checkpoints/, so `max_to_keep` never removes it."""
  return os.path.join(model_dir, "best")


def samples_dir(model_dir):
  return os.path.join(model_dir, "samples")


def logs_dir(model_dir):
  return os.path.join(model_dir, "logs")


@dataclasses.dataclass(frozen=True)
class BestRecord:
  """Where the best model is, the step it was trained to and its test bits/dim."""

  path: str
  step: int
  test_bits_per_dim: float


def read_best(model_dir):
  """The `BestRecord` of a run directory, or None if it has evaluated nothing yet.

  Raises:
    checkpoint_files.UnreadableCheckpoints: the best model's checkpoint is damaged.
  """
  path, _ = checkpoint_files.newest_readable(best_dir(model_dir))
  return best_record(path) if path else None


def best_record(path):
  """The `BestRecord` of the best model's checkpoint at `path`."""
  reader = tf.train.load_checkpoint(path)
  return BestRecord(path, int(reader.get_tensor(_BEST_STEP_KEY)), float(reader.get_tensor(_BEST_BITS_KEY)))
