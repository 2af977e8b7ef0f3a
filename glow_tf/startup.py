"""TensorFlow's start-up in the scripts, without the C++ messages it prints on every CPU machine.

Importing TensorFlow logs "Could not find cuda drivers" twice and a notice about the CPU's instructions, and its
first op an error-level "failed call to cuInit: ... UNKNOWN ERROR (303)" wherever no GPU driver is installed:
the first thing a new user would see from `python train.py`, none of it about their run.
"""

import os
import sys


def import_tensorflow_quietly():
  """Imports TensorFlow with those messages hidden, unless the user chose TF_CPP_MIN_LOG_LEVEL (then theirs holds).

  Python errors still surface: an import that fails raises as usual once the messages are let through again.
  """
  if "TF_CPP_MIN_LOG_LEVEL" in os.environ or "tensorflow" in sys.modules:
    import tensorflow  # pylint: disable=g-import-not-at-top,unused-import
    return
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
