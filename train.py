"""Trains Glow: `python train.py` (digits, minutes on a CPU) or `python train.py --dataset=celeb_a`.

Model and schedule flags left unset take the dataset's defaults, fitted to its images and size or, with
--preset=paper, the paper's (see glow_tf/training/presets.py); a run resumes from --model_dir, whose saved
config.json then fixes the model.
"""

import dataclasses
import math
import sys

from absl import app, flags, logging

from glow_tf import config_flags, startup
from glow_tf.choices import PRESETS
from glow_tf.model_config import GlowConfig
from glow_tf.training.train_config import TrainConfig

FLAGS = flags.FLAGS

# One flag per field of GlowConfig and TrainConfig that the user sets. Unset model flags take the dataset's
# defaults or, when resuming, what config.json in --model_dir saved.
config_flags.define_config_flags(GlowConfig)
config_flags.define_config_flags(TrainConfig)
# The rest, which are not fields: they decide fields, or what happens after training.
flags.DEFINE_integer("image_size", None, "Height and width of the images (default: the dataset's).")
flags.DEFINE_integer("channels", None, "folder:PATH only: convert its images to 1 (grayscale) or 3 (RGB) channels "
                     "(default: 1 if all are grayscale, 3 if all are colour).")
flags.DEFINE_enum("preset", "auto", PRESETS, "Defaults for the flags left unset. auto: an architecture and schedule "
                  "fitted to the dataset's image size and number of images; paper: the paper's architectures and "
                  "its 200,000-step recipe.")
flags.DEFINE_float("epochs", None, "Train for this many passes over the training split instead of --steps.")
flags.DEFINE_boolean("export", True, "Export the model with the best test bits/dim (the last one if the run never "
                     "evaluated) as a TF Serving SavedModel, version = its step.")
flags.DEFINE_string("export_dir", None, "The SavedModel's base directory (default: <model_dir>/export).")


def configs_from_flags():
  """(GlowConfig, TrainConfig, why the defaults are what they are) from the flags, the dataset's defaults and a
  resumed run's config.json."""
  from glow_tf import data, training  # Imported here so that --help answers without loading TensorFlow.

  dataset = FLAGS.dataset or TrainConfig.dataset
  conditional = bool(FLAGS.conditional)
  defaults = training.dataset_defaults(dataset, FLAGS.image_size, conditional, FLAGS.channels, FLAGS.preset)
  overrides = config_flags.given_config_values(GlowConfig)
  run = {**defaults.training, **config_flags.given_config_values(TrainConfig)}
  run.update(dataset=dataset, conditional=conditional)
  glow_config = training.resolve_config(run["model_dir"], defaults.model, overrides)
  if FLAGS.epochs is not None:
    if FLAGS.steps is not None:
      raise ValueError("Give --steps or --epochs, not both.")
    num_train = data.dataset_info(dataset, FLAGS.image_size, FLAGS.channels).num_train
    if not num_train or FLAGS.epochs <= 0:
      raise ValueError(f"--epochs needs a positive number and a dataset of known size; use --steps for {dataset}.")
    # A preset may leave the batch to TrainConfig's default (digits' does).
    run["steps"] = max(1, math.ceil(FLAGS.epochs * num_train / run.get("batch_size", TrainConfig.batch_size)))
  return glow_config, TrainConfig(**run), defaults.reason


# The exit status of a run stopped by Ctrl-C or SIGTERM after saving a checkpoint, or by a file it could not write
# (a full disk) with its last checkpoint intact (sysexits' EX_TEMPFAIL): not done, not failed; the same command
# resumes it. Schedulers that restart failed tasks restart it.
EXIT_STOPPED = 75


def main(argv):
  if len(argv) > 1:
    print(f"train.py: error: Unexpected arguments: {' '.join(argv[1:])}; flags look like --steps=100.", file=sys.stderr)
    return 2
  logging.set_verbosity(logging.WARNING)  # TensorFlow's checkpoint chatter would break the progress bar.
  startup.import_tensorflow()
  from glow_tf import data, disk_space, export, fast_path, training

  fast_path.freeze_imports()
  try:
    # First: the thread pools and MultiWorkerMirroredStrategy must exist before any other TensorFlow op runs.
    fast_path.set_thread_pools(FLAGS.intra_op_threads or 0, FLAGS.inter_op_threads or 0)
    strategy = training.make_strategy(FLAGS.strategy or TrainConfig.strategy)
    glow_config, train_config, reason = configs_from_flags()
    training.check_batch_divides(train_config, strategy)
  except (ValueError, data.DatasetUnavailableError) as error:
    print(f"train.py: error: {error}\n(python train.py --help lists the flags.)", file=sys.stderr)
    return 2
  role = training.worker_role(strategy)
  if role.is_chief:
    print(f"Training Glow on {train_config.dataset} in {train_config.model_dir} "
          f"({training.describe_strategy(strategy)}):\n{glow_config}\nDefaults: {reason}; flags override them.")
  try:
    result = training.train(glow_config, train_config, strategy)
    if result.stopped_by:
      return EXIT_STOPPED
    if FLAGS.export and role.is_chief:
      which = "best" if result.best_step is not None else "latest"
      try:
        path = export.export_model(train_config.model_dir, FLAGS.export_dir, checkpoint=which)
      except OSError as error:
        if error.errno not in disk_space.OUT_OF_SPACE:
          raise
        print(f"train.py: Could not export {error.filename}: {error.strerror}. Training is done and saved in "
              f"{result.checkpoint}; free some space and run the same command to export it.", file=sys.stderr)
        return EXIT_STOPPED
      print(f"SavedModel of the {which} checkpoint: {path}")
  except training.WriteFailed as error:
    print(f"train.py: {error}", file=sys.stderr)
    return EXIT_STOPPED
  except (training.TrainingDiverged, training.ConfigMismatchError, training.WorkerLost, data.DatasetUnavailableError,
          OSError) as error:
    print(f"train.py: {error}", file=sys.stderr)
    return 1
  summary = {key: value for key, value in dataclasses.asdict(result).items() if "bits" in key or "step" in key}
  print(f"Done: {summary}")
  return 0


if __name__ == "__main__":
  app.run(main)
