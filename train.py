"""Trains Glow: `python train.py` (digits, minutes on a CPU) or `python train.py --dataset=celeb_a`.

Model flags left unset take the dataset's defaults (see glow_tf/training/presets.py); a run resumes from
--model_dir, whose saved config.json then fixes the model.
"""

import dataclasses
import math
import sys

from absl import app, flags, logging

FLAGS = flags.FLAGS

# Model (GlowConfig); None means "the dataset's default" or, when resuming, "as saved in --model_dir".
flags.DEFINE_integer("image_size", None, "Height and width of the images (default: the dataset's).")
flags.DEFINE_integer("levels", None, "Multi-scale levels L.")
flags.DEFINE_integer("steps_per_level", None, "Flow steps K per level.")
flags.DEFINE_integer("hidden_channels", None, "Width W of the coupling networks.")
flags.DEFINE_enum("coupling", None, ["affine", "additive"], "Coupling layer.")
flags.DEFINE_float("coupling_scale_floor", None, "Lower bound f of the affine coupling's scale "
                   "f + (1 - f) * sigmoid(h + 2), so sampling divides by at least f (default 0.3; 0: the "
                   "reference's sigmoid(h + 2)).")
flags.DEFINE_enum("permutation", None, ["lu", "conv", "shuffle", "reverse"], "Channel mixing before couplings.")
flags.DEFINE_boolean("learn_top_prior", None, "Learn the top latent's prior (default: yes).")
flags.DEFINE_integer("n_bits", None, "Bits per pixel kept from 8-bit data (celeb_a: 5).")
flags.DEFINE_enum("dtype", None, ["float32", "float64"], "Floating-point type of the model.")
flags.DEFINE_enum("network_dtype", None, ["", "bfloat16"],
                  "bfloat16: coupling networks in mixed precision, ~1.9x faster convolutions where the hardware "
                  "has bfloat16 (AVX512-BF16 CPUs, GPUs, TPUs); empty: the model's dtype.")
flags.DEFINE_boolean("conditional", False, "Condition the model on the dataset's labels (classes or attributes).")
flags.DEFINE_integer("channels", None, "folder:PATH only: convert its images to 1 (grayscale) or 3 (RGB) channels "
                     "(default: 1 if all are grayscale, 3 if all are colour).")

# The run (TrainConfig).
flags.DEFINE_string("dataset", "digits", "digits (embedded), celeb_a, cifar10, mnist, fashion_mnist, svhn_cropped, "
                    "or folder:PATH for your own images (one subfolder per class for labels).")
flags.DEFINE_string("data_dir", None, "tensorflow_datasets data directory, or one holding CelebA's original files.")
flags.DEFINE_string("model_dir", None, "Checkpoints, logs and samples (default: runs/<dataset>).")
flags.DEFINE_integer("batch_size", None, "Global batch size.")
flags.DEFINE_float("learning_rate", None, "Peak learning rate.")
flags.DEFINE_integer("warmup_steps", None, "Linear learning-rate warm-up steps.")
flags.DEFINE_enum("optimizer", None, ["adamax", "adam"], "Optimiser (default: adamax, as the reference).")
flags.DEFINE_float("clip_gradient_norm", None, "Clip the global gradient norm (0: no clipping).")
flags.DEFINE_enum("backprop", None, ["stored", "recomputed", "invertible"],
                  "How the backward pass gets activations: stored (default), recomputed from each layer's stored "
                  "input, or invertible: rebuilt from each layer's output, memory that does not grow with depth.")
flags.DEFINE_integer("steps", None, "Training steps in all.")
flags.DEFINE_float("epochs", None, "Train for this many passes over the training split instead of --steps.")
flags.DEFINE_integer("seed", None, "Random seed.")
flags.DEFINE_integer("checkpoint_every", None, "Steps between checkpoints.")
flags.DEFINE_integer("eval_every", None, "Steps between test-set evaluations (0: never).")
flags.DEFINE_integer("sample_every", None, "Steps between sample grids (0: never).")
flags.DEFINE_integer("log_every", None, "Steps between TensorBoard scalars.")
flags.DEFINE_integer("eval_batches", None, "Test batches per evaluation (0: all).")
flags.DEFINE_integer("patience", None, "Stop after this many evaluations without a better test bits/dim (0: never).")
flags.DEFINE_list("temperatures", None, "Sample-grid temperatures, e.g. 0,0.5,0.7,1.")
flags.DEFINE_integer("num_samples", None, "Images per sample grid.")
flags.DEFINE_boolean("xla", None, "Compile the training step with XLA.")
flags.DEFINE_enum("strategy", None, ["auto", "default", "mirrored", "multi_worker", "tpu"],
                  "tf.distribute strategy. auto: the cluster in TF_CONFIG if there is one, else all local GPUs, "
                  "else one device; mirrored: all local GPUs (or logical CPUs); multi_worker: the cluster in "
                  "TF_CONFIG.")
flags.DEFINE_integer("init_batch_size", None, "Images for ActNorm's data-dependent initialisation.")
flags.DEFINE_integer("max_nonfinite_steps", None, "Stop after this many consecutive non-finite steps.")
flags.DEFINE_boolean("export", True, "Export the model with the best test bits/dim (the last one if the run never "
                     "evaluated) as a TF Serving SavedModel, version = its step.")
flags.DEFINE_string("export_dir", None, "The SavedModel's base directory (default: <model_dir>/export).")

_MODEL_FLAGS = ("levels", "steps_per_level", "hidden_channels", "coupling", "coupling_scale_floor", "permutation",
                "learn_top_prior", "n_bits", "dtype", "network_dtype")
_RUN_FLAGS = ("data_dir", "model_dir", "batch_size", "learning_rate", "warmup_steps", "optimizer",
              "clip_gradient_norm", "backprop", "steps", "seed", "checkpoint_every", "eval_every",
              "sample_every", "log_every", "eval_batches", "patience", "num_samples", "xla", "strategy",
              "init_batch_size", "max_nonfinite_steps")


def configs_from_flags():
  """(GlowConfig, TrainConfig) from the flags, the dataset's defaults and a resumed run's config.json."""
  from glow_tf import data, training  # Imported here so that --help answers without loading TensorFlow.

  model_defaults, run_defaults = training.dataset_defaults(
      FLAGS.dataset, FLAGS.image_size, FLAGS.conditional, FLAGS.channels)
  overrides = {name: FLAGS[name].value for name in _MODEL_FLAGS if FLAGS[name].value is not None}
  run = {**run_defaults, **{name: FLAGS[name].value for name in _RUN_FLAGS if FLAGS[name].value is not None}}
  run.update(dataset=FLAGS.dataset, conditional=FLAGS.conditional)
  if FLAGS.temperatures is not None:
    try:
      run["temperatures"] = tuple(float(t) for t in FLAGS.temperatures)
    except ValueError:
      raise ValueError(f"--temperatures takes numbers, e.g. 0,0.5,0.7,1; got {','.join(FLAGS.temperatures)}.")
  glow_config = training.resolve_config(run["model_dir"], model_defaults, overrides)
  if FLAGS.epochs is not None:
    if FLAGS.steps is not None:
      raise ValueError("Give --steps or --epochs, not both.")
    num_train = data.dataset_info(FLAGS.dataset, FLAGS.image_size, FLAGS.channels).num_train
    if not num_train or FLAGS.epochs <= 0:
      raise ValueError(f"--epochs needs a positive number and a dataset of known size; use --steps for {FLAGS.dataset}.")
    run["steps"] = max(1, math.ceil(FLAGS.epochs * num_train / run["batch_size"]))
  return glow_config, training.TrainConfig(**run)


# The exit status of a run stopped by Ctrl-C or SIGTERM after saving a checkpoint (sysexits' EX_TEMPFAIL): not
# done, not failed; the same command resumes it. Schedulers that restart failed tasks restart it.
EXIT_STOPPED = 75


def main(argv):
  if len(argv) > 1:
    print(f"train.py: error: Unexpected arguments: {' '.join(argv[1:])}; flags look like --steps=100.", file=sys.stderr)
    return 2
  logging.set_verbosity(logging.WARNING)  # TensorFlow's checkpoint chatter would break the progress bar.
  from glow_tf import data, export, training

  try:
    # First: MultiWorkerMirroredStrategy must exist before any other TensorFlow op runs.
    strategy = training.make_strategy(FLAGS.strategy or training.TrainConfig.strategy)
    glow_config, train_config = configs_from_flags()
    training.check_batch_divides(train_config, strategy)
  except (ValueError, data.DatasetUnavailableError) as error:
    print(f"train.py: error: {error}\n(python train.py --help lists the flags.)", file=sys.stderr)
    return 2
  role = training.worker_role(strategy)
  if role.is_chief:
    print(f"Training Glow on {train_config.dataset} in {train_config.model_dir} "
          f"({training.describe_strategy(strategy)}):\n{glow_config}")
  try:
    result = training.train(glow_config, train_config, strategy)
    if result.stopped_by:
      return EXIT_STOPPED
    if FLAGS.export and role.is_chief:
      which = "best" if result.best_step is not None else "latest"
      path = export.export_model(train_config.model_dir, FLAGS.export_dir, checkpoint=which)
      print(f"SavedModel of the {which} checkpoint: {path}")
  except (training.TrainingDiverged, training.ConfigMismatchError, training.WorkerLost, data.DatasetUnavailableError,
          OSError) as error:
    print(f"train.py: {error}", file=sys.stderr)
    return 1
  summary = {key: value for key, value in dataclasses.asdict(result).items() if "bits" in key or "step" in key}
  print(f"Done: {summary}")
  return 0


if __name__ == "__main__":
  app.run(main)
