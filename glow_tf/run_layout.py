"""Where things are in a training run's directory, for the code that writes a run (training) and the code that
reads one back (loading, export, evaluate.py).

  <model_dir>/config.json         the model's GlowConfig
  <model_dir>/train_config.json   the run's TrainConfig, as last started
  <model_dir>/checkpoints/        the latest checkpoints
  <model_dir>/best/               the checkpoint with the best test bits/dim, and its score
  <model_dir>/samples/            sample grids, one folder per step
  <model_dir>/logs/               TensorBoard
  <model_dir>/export/<version>/   SavedModels for TF Serving (train.py's, evaluate.py export's default)
  <model_dir>/eval/               evaluate.py's pictures (by default)

and the names inside its checkpoints.
"""

import dataclasses
import os

import tensorflow as tf

from glow_tf import checkpoint_files

CONFIG_FILE = "config.json"
TRAIN_CONFIG_FILE = "train_config.json"

# The model's name in every checkpoint (the latest, the best). `export.ServingModule` tracks it under the same
# attribute name, `model`, so that its variables read back into a `Glow` from a SavedModel too (tested by loading
# one: test_loading.py).
MODEL = "model"
# The step a checkpoint was trained to, and the best model's score.
STEP, TEST_BITS_PER_DIM = "step", "test_bits_per_dim"


def model_checkpoint(glow, **extra):
  """A `tf.train.Checkpoint` of `glow` under `MODEL`, with `extra` objects beside it."""
  return tf.train.Checkpoint(**{MODEL: glow}, **extra)


def _variable_key(name):
  return f"{name}/.ATTRIBUTES/VARIABLE_VALUE"


def checkpoints_dir(model_dir):
  return os.path.join(model_dir, "checkpoints")


def best_dir(model_dir):
  """The checkpoint with the best test bits/dim so far: outside checkpoints/, so `max_to_keep` never removes it."""
  return os.path.join(model_dir, "best")


def samples_dir(model_dir):
  return os.path.join(model_dir, "samples")


def logs_dir(model_dir):
  return os.path.join(model_dir, "logs")


def export_dir(model_dir):
  return os.path.join(model_dir, "export")


def eval_dir(model_dir):
  return os.path.join(model_dir, "eval")


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
  return BestRecord(path, int(reader.get_tensor(_variable_key(STEP))),
                    float(reader.get_tensor(_variable_key(TEST_BITS_PER_DIM))))
