"""A run's checkpoints: restored by every worker, saved by every worker, kept by the chief alone."""

import os
import shutil

import tensorflow as tf

from glow_tf import run_layout


class CheckpointWriteError(OSError):
  """A checkpoint could not be written (disk full, permissions); the previous one is intact."""


class RunCheckpoints:
  """`<model_dir>/checkpoints` (or another `directory`), with TF's multi-worker pattern for saving.

  Under MultiWorkerMirroredStrategy a save is a collective that every worker must join. The chief saves
  into the run's directory; every other worker saves into a temporary directory of its own beside it and
  removes it, so the run's directory holds one copy. With one worker, that worker is the chief.
  """

  def __init__(self, checkpoint, model_dir, role, max_to_keep=3, directory=None):
    self.directory = directory or run_layout.checkpoints_dir(model_dir)
    self._kept = tf.train.CheckpointManager(checkpoint, self.directory, max_to_keep=max_to_keep)
    self._checkpoint = checkpoint
    self._role = role
    self._model_dir = model_dir

  def restore(self):
    """Restores the latest checkpoint in the run's directory, if there is one; returns its path, or None."""
    path = self.latest
    if path:
      self._checkpoint.restore(path)
    return path

  @property
  def latest(self):
    """The latest complete checkpoint in the run's directory, as this worker sees it now (the chief may be
    finishing a newer one)."""
    return tf.train.latest_checkpoint(self.directory)

  def save(self, step):
    """Saves the state at `step` (every worker calls this at the same step); returns the kept checkpoint's path."""
    previous = self.latest
    try:
      if self._role.is_chief:
        return self._kept.save(checkpoint_number=step)
      temporary = os.path.join(self.directory, f"workertemp_{self._role.index}")
      try:
        tf.train.CheckpointManager(self._checkpoint, temporary, max_to_keep=1).save(checkpoint_number=step)
      finally:
        shutil.rmtree(temporary, ignore_errors=True)
      return os.path.join(self.directory, f"ckpt-{step}")
    except (OSError, tf.errors.OpError) as error:
      raise CheckpointWriteError(
          f"Could not write a checkpoint in {self._model_dir}: {getattr(error, 'message', None) or error}. The "
          f"previous checkpoint, {previous}, is intact: free some space (or fix permissions) and run the same "
          f"command to resume from it.") from None
