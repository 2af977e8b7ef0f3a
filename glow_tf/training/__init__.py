"""Training Glow: configs, the step, the loop, checkpoints."""

from glow_tf.training.checkpoints import CheckpointWriteError
from glow_tf.training.config import TrainConfig
from glow_tf.training.loop import TrainingDiverged, TrainResult, WorkerLost, check_batch_divides, train
from glow_tf.training.presets import dataset_defaults
from glow_tf.training.run_directory import ConfigMismatchError, resolve_config
from glow_tf.training.strategy import describe_strategy, make_strategy, worker_role
from glow_tf.training.trainer import Trainer
