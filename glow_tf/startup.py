"""TensorFlow's start-up in the scripts: oneDNN's kernels on every x86 CPU, no Grappler where there is no GPU, and
without the C++ messages it prints on every CPU machine.

TensorFlow turns its oneDNN kernels on by default only on CPUs with AVX-512 VNNI, AVX512-BF16 or AMX. Elsewhere it
runs its own Eigen convolutions, whose backward passes are the slow part of a Glow's training step: on an AVX2-only
AMD EPYC (Zen 3), 2 cores, at 32x32, L=3, K=8, W=512, affine, batch 16, they took 2.7 s of op time in a 1.9 s step
(torch's: 0.9 s), and with oneDNN's the step took 1.4 s: 11.5 against 9.2 images/s (bench/VS_PYTORCH.md).

Grappler, TensorFlow's graph optimiser, rewrites every traced function before its first run. On a CPU it buys a
Glow nothing: at 32x32, L=3, K=16, W=128, batch 64 (train.py's defaults for 32x32 crops) and on digits' preset, on
that EPYC, steps and log_prob took the same time with it and without (medians of 8 to 30 interleaved calls, one
process), while it took 7-9 s of the first training step and 1-2 s of the first log_prob. On a GPU it does pay
(its layout optimiser hands cuDNN the layout it is fastest in), and there it stays on.

Importing TensorFlow logs "Could not find cuda drivers" twice and a notice about the CPU's instructions, and its
first op an error-level "failed call to cuInit: ... UNKNOWN ERROR (303)" wherever no GPU driver is installed:
the first thing a new user would see from `python train.py`, none of it about their run.
"""

import os
import sys


def import_tensorflow():
  """Imports TensorFlow with oneDNN's kernels on and those messages hidden, unless the user chose
  TF_ENABLE_ONEDNN_OPTS or TF_CPP_MIN_LOG_LEVEL (then theirs holds), and Grappler off on a machine without a GPU.

  Python errors still surface: an import that fails raises as usual once the messages are let through again.
  """
  os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
  if "TF_CPP_MIN_LOG_LEVEL" in os.environ or "tensorflow" in sys.modules:
    import tensorflow  # pylint: disable=g-import-not-at-top,unused-import
  else:
    _import_tensorflow_silently()
  no_graph_optimiser_without_gpu()


def no_graph_optimiser_without_gpu():
  """Turns Grappler off for the process's functions unless it has a GPU (see the module's docstring)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  if not tf.config.list_physical_devices("GPU"):
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})


def _import_tensorflow_silently():
  # cuInit's failure is logged as an error: only level 3 hides it. Python's own errors and warnings are not C++ logs.
  os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
  # The libraries log while they load, before TensorFlow's logging reads the level: only their stderr can hide it.
  sys.stderr.flush()
  saved = os.dup(2)
  try:
    with open(os.devnull, "w") as devnull:
      os.dup2(devnull.fileno(), 2)
      import tensorflow  # pylint: disable=g-import-not-at-top,unused-import,redefined-outer-name
  finally:
    os.dup2(saved, 2)
    os.close(saved)
