"""Evaluates, explores and exports a trained Glow model: python evaluate.py MODE [MODE ...] --model_dir=DIR [flags].

Several modes run one after another in one process; all but export share one restored model. MODE: bpd (test
bits/dim), samples (grids per temperature), reconstruct (encode/decode round trip), interpolate (between test
images), manipulate (an attribute or class direction, --attribute), export (SavedModel).
--model_dir: a training run (config.json + checkpoints/) or a SavedModel version (e.g. saved_models/digits/1).
"""

import math
import sys

from absl import app, flags, logging

from glow_tf import config_flags, startup
from glow_tf.choices import CHECKPOINTS
from glow_tf.training.train_config import TrainConfig

MODES = ("bpd", "samples", "reconstruct", "interpolate", "manipulate", "export")
FLAGS = flags.FLAGS

flags.DEFINE_enum("mode", None, MODES, "What to do (or give one or more modes as arguments).")
flags.DEFINE_string("model_dir", None, "A training run's directory or a SavedModel version directory.")
flags.DEFINE_enum("checkpoint", CHECKPOINTS[0], CHECKPOINTS,
                  "For a training run: its latest checkpoint, or the one with the best test bits/dim.")
flags.DEFINE_string("output_dir", None, "Where PNGs go (default: <model_dir>/eval for a run, ./eval for a SavedModel).")
flags.DEFINE_string("dataset", None, "The model's dataset (default: the run's; needed for a SavedModel's data modes).")
flags.DEFINE_string("data_dir", None, "tensorflow_datasets data directory (default: the run's).")
flags.DEFINE_integer("batch_size", 64, "Images per batch.")
flags.DEFINE_integer("seed", 0, "Seed for samples and dequantisation noise.")
flags.DEFINE_boolean("xla", None, "bpd: score with XLA (default: on for small models on CPU, where it is faster, off "
                     "otherwise; --noxla turns it off).")
config_flags.define_config_flags(TrainConfig, names=("intra_op_threads", "inter_op_threads"))
# bpd
flags.DEFINE_integer("num_dequantizations", 1, "bpd: dequantisation noise draws per test image.")
flags.DEFINE_integer("eval_batches", 0, "bpd: test batches to score (0: the whole test split).")
# samples
flags.DEFINE_list("temperatures", [str(t) for t in TrainConfig.temperatures], "samples: one grid per temperature.")
flags.DEFINE_integer("num_samples", 64, "samples: images per grid.")
# reconstruct, interpolate, manipulate
flags.DEFINE_integer("num_images", 8, "reconstruct, manipulate: test images to use.")
flags.DEFINE_integer("num_pairs", 4, "interpolate: pairs of test images, one row each.")
flags.DEFINE_integer("num_steps", 8, "interpolate: images per row, both ends included.")
flags.DEFINE_string("attribute", None, "manipulate: an attribute (CelebA: Smiling, ...) or a class (digits: 3).")
flags.DEFINE_list("alphas", ["-1", "-0.5", "0", "0.5", "1"], "manipulate: strengths along the direction.")
flags.DEFINE_float("manipulation_scale", 1.6, "manipulate: the direction's scale (the paper's demo: 1.6).")
flags.DEFINE_integer("num_direction_images", 2000, "manipulate: training images that define the direction.")
# export
flags.DEFINE_string("export_dir", None, "export: the SavedModel's base directory (default: <model_dir>/export).")
flags.DEFINE_integer("export_version", None, "export: the version (default: the checkpoint's training step).")


def main(argv):
  modes = _modes(argv)
  logging.set_verbosity(logging.WARNING)
  _check_flags(modes)
  # Imported here so that --help and flag errors answer without loading TensorFlow.
  startup.import_tensorflow()
  from glow_tf import data, fast_path

  try:
    fast_path.set_thread_pools(FLAGS.intra_op_threads or 0, FLAGS.inter_op_threads or 0)
    _run(modes)
  except (FileNotFoundError, ValueError) as error:  # The library's errors about what it was asked to do.
    raise app.UsageError(str(error))
  except (OSError, data.DatasetUnavailableError) as error:
    print(f"evaluate.py: {error}", file=sys.stderr)
    return 1
  return 0


def _run(modes):
  from glow_tf import export, fast_path
  from glow_tf.evaluator import Evaluator

  fast_path.freeze_imports()

  evaluator = None
  for mode in modes:
    if mode == "export":
      path = export.export_model(FLAGS.model_dir, FLAGS.export_dir, FLAGS.export_version, FLAGS.checkpoint)
      print(f"SavedModel: {path}")
      continue
    if evaluator is None:
      evaluator = Evaluator.open(
          FLAGS.model_dir, FLAGS.dataset, FLAGS.data_dir, FLAGS.output_dir, FLAGS.batch_size,
          needs_data=bool(set(modes) - {"samples", "export"}), checkpoint=FLAGS.checkpoint, xla=FLAGS.xla)
    _evaluate(evaluator, mode)


def _evaluate(evaluator, mode):
  if mode == "bpd":
    evaluator.bits_per_dim(FLAGS.num_dequantizations, FLAGS.eval_batches, FLAGS.seed)
  elif mode == "samples":
    evaluator.samples(_floats("temperatures"), FLAGS.num_samples, FLAGS.seed)
  elif mode == "reconstruct":
    evaluator.reconstruct(FLAGS.num_images)
  elif mode == "interpolate":
    evaluator.interpolate(FLAGS.num_pairs, FLAGS.num_steps)
  else:
    evaluator.manipulate(
        FLAGS.attribute, _floats("alphas"), FLAGS.manipulation_scale, FLAGS.num_images, FLAGS.num_direction_images)


def _modes(argv):
  """The modes to run, in the order given: the arguments, or --mode."""
  modes = argv[1:]
  if modes and FLAGS.mode and modes != [FLAGS.mode]:
    raise app.UsageError(f"Give the modes as arguments or one as --mode, not both; got {' '.join(modes)} and "
                         f"--mode={FLAGS.mode}.")
  modes = modes or ([FLAGS.mode] if FLAGS.mode else [])
  unknown = [mode for mode in modes if mode not in MODES]
  if unknown or not modes:
    raise app.UsageError(f"{'Unknown mode ' + repr(unknown[0]) if unknown else 'No mode given'}; choose one or "
                         f"more of {', '.join(MODES)}.")
  if len(set(modes)) < len(modes):
    raise app.UsageError(f"Give each mode once; got {' '.join(modes)}.")
  return modes


def _check_flags(modes):
  if not FLAGS.model_dir:
    raise app.UsageError("--model_dir is required: a training run's directory or a SavedModel version.")
  for name in ("batch_size", "num_dequantizations", "num_samples", "num_images", "num_pairs", "num_direction_images"):
    if FLAGS[name].value < 1:
      raise app.UsageError(f"--{name} must be >= 1, got {FLAGS[name].value}.")
  if FLAGS.eval_batches < 0:
    raise app.UsageError(f"--eval_batches must be >= 0 (0: all), got {FLAGS.eval_batches}.")
  if FLAGS.num_steps < 2:
    raise app.UsageError(f"--num_steps must be >= 2 (both ends of the line), got {FLAGS.num_steps}.")
  if "manipulate" in modes and not FLAGS.attribute:
    raise app.UsageError("manipulate needs --attribute: an attribute name (CelebA: Smiling) or a class (digits: 3).")
  temperatures = _floats("temperatures")
  if not temperatures or min(temperatures) < 0:
    raise app.UsageError(f"--temperatures must be numbers >= 0, got {','.join(FLAGS.temperatures)}.")
  if not _floats("alphas"):
    raise app.UsageError("--alphas needs at least one strength, e.g. -1,0,1.")
  if not math.isfinite(FLAGS.manipulation_scale):
    raise app.UsageError(f"--manipulation_scale must be a finite number, got {FLAGS.manipulation_scale}.")


def _floats(name):
  """The numbers of a list flag; NaN and infinity are refused, as they would only draw NaN images."""
  try:
    values = [float(value) for value in FLAGS[name].value]
  except ValueError:
    values = None
  if values is None or not all(map(math.isfinite, values)):
    raise app.UsageError(
        f"--{name} takes numbers separated by commas, none NaN or infinite; got {','.join(FLAGS[name].value)}.")
  return values


if __name__ == "__main__":
  app.run(main)
