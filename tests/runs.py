"""A training run's directory read back in tests: its latest checkpoint's step, a Trainer restored from it."""

import json
import os

import tensorflow as tf

from glow_tf import GlowConfig, run_layout
from glow_tf.training import Trainer, TrainConfig


def latest_checkpoint(model_dir):
  return tf.train.latest_checkpoint(run_layout.checkpoints_dir(model_dir))


def checkpoint_step(model_dir):
  """The step of the run's latest checkpoint, or None before its first."""
  latest = latest_checkpoint(model_dir)
  return None if latest is None else int(latest.rsplit("-", 1)[1])


def restored_trainer(model_dir):
  """A Trainer built as the run built its own (the model, the optimiser, the weights' average) holding the run's
  latest checkpoint; every object it has must be in the checkpoint."""
  with open(os.path.join(model_dir, run_layout.TRAIN_CONFIG_FILE)) as f:
    trained = json.load(f)
  trainer = Trainer(GlowConfig.load(os.path.join(model_dir, run_layout.CONFIG_FILE)),
                    TrainConfig(optimizer=trained["optimizer"], ema_decay=trained["ema_decay"]))
  trainer.checkpoint().restore(latest_checkpoint(model_dir)).assert_existing_objects_matched()
  return trainer


def latest_weights(model_dir):
  """(step, trainable weights as numpy arrays) of the run's latest checkpoint."""
  trainer = restored_trainer(model_dir)
  return trainer.current_step(), [v.numpy() for v in trainer.glow.trainable_variables]
