"""Writes that fail for lack of space (ENOSPC, EDQUOT), as Python's and TensorFlow's file systems report them."""

import errno
import os

import tensorflow as tf

OUT_OF_SPACE = (errno.ENOSPC, errno.EDQUOT)


def out_of_space(error):
  """Whether `error` says that a write failed for lack of space or quota.

  Python raises OSError with the errno; TensorFlow's file system (checkpoints, tf.io.write_file, SavedModels)
  raises an OpError (ResourceExhaustedError) whose message ends in the system's text for it.
  """
  if isinstance(error, OSError):
    return error.errno in OUT_OF_SPACE
  if isinstance(error, tf.errors.OpError):
    return any(os.strerror(code) in error.message for code in OUT_OF_SPACE)
  return False


def as_os_error(error, path):
  """An out-of-space `error` (see `out_of_space`) as the OSError Python would raise for `path`, whoever wrote
  the file: one exception, with the path, for the caller to report."""
  if isinstance(error, OSError):
    code = error.errno
  else:
    code = next(code for code in OUT_OF_SPACE if os.strerror(code) in error.message)
  return OSError(code, os.strerror(code), path)
