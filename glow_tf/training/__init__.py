"""Training Glow: configs, the step, the loop, checkpoints."""

from glow_tf.lazy_exports import lazy_exports

_MODULES = {
    "CheckpointWriteError": "glow_tf.training.checkpoints",
    "TrainingDiverged": "glow_tf.training.loop",
    "TrainResult": "glow_tf.training.loop",
    "WorkerLost": "glow_tf.training.loop",
    "WriteFailed": "glow_tf.training.loop",
    "check_batch_divides": "glow_tf.training.loop",
    "train": "glow_tf.training.loop",
    "dataset_defaults": "glow_tf.training.presets",
    "ConfigMismatchError": "glow_tf.training.run_directory",
    "resolve_config": "glow_tf.training.run_directory",
    "describe_strategy": "glow_tf.training.strategy",
    "make_strategy": "glow_tf.training.strategy",
    "worker_role": "glow_tf.training.strategy",
    "TrainConfig": "glow_tf.training.train_config",
    "Trainer": "glow_tf.training.trainer",
}
__all__ = list(_MODULES)
__getattr__, __dir__ = lazy_exports(__name__, _MODULES)
