"""Training Glow: configs, the step, the loop, checkpoints."""

from glow_tf.training.config import TrainConfig
from glow_tf.training.loop import CheckpointWriteError, TrainingDiverged, TrainResult, train
from glow_tf.training.presets import dataset_defaults
from glow_tf.training.run_directory import ConfigMismatchError, resolve_config
from glow_tf.training.trainer import Trainer
