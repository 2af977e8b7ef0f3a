"""A run's directory as training uses it: the config to train with, and the configs recorded for the run."""

import dataclasses
import os

from glow_tf.model_config import GlowConfig
from glow_tf.run_layout import CONFIG_FILE, TRAIN_CONFIG_FILE


class ConfigMismatchError(ValueError):
  """The requested architecture differs from the one a run directory was trained with."""


def resolve_config(model_dir, defaults, overrides):
  """The architecture to train in `model_dir`.

  A new run takes `defaults` with `overrides` applied. A run being resumed takes the config saved in
  `model_dir`; an override that contradicts it is refused, since the checkpoint could not be loaded into a
  different architecture.

  Args:
    model_dir: the run directory.
    defaults: dict of `GlowConfig` fields for a new run (the dataset's defaults).
    overrides: dict of `GlowConfig` fields the user asked for explicitly.
  """
  path = os.path.join(model_dir, CONFIG_FILE)
  if not os.path.exists(path):
    return GlowConfig(**{**defaults, **overrides})
  saved = GlowConfig.load(path)
  requested = dataclasses.replace(saved, **overrides)
  conflicts = [
      f"{name}={getattr(requested, name)!r} (trained with {getattr(saved, name)!r})"
      for name in sorted(overrides) if getattr(requested, name) != getattr(saved, name)]
  if conflicts:
    raise ConfigMismatchError(
        f"{model_dir} holds a run with a different model: {', '.join(conflicts)}. Resume it without those "
        f"flags, or start a new run with another --model_dir.")
  return saved


def prepare(model_dir, config, train_config, write=True):
  """Creates `model_dir` (failing clearly if it cannot be written) and records the run's configs in it.

  With `write=False` (the workers of a multi-worker run other than the chief, which share the chief's
  directory) nothing is written: the config already there, if any, is only checked against `config`.
  """
  path = os.path.join(model_dir, CONFIG_FILE)
  if os.path.exists(path):
    saved = GlowConfig.load(path)
    if saved != config:
      raise ConfigMismatchError(f"{path} describes another model than the one being trained: {saved} vs {config}.")
  if not write:
    return
  _require_writable(model_dir)
  if not os.path.exists(path):
    config.save(path)
  with open(os.path.join(model_dir, TRAIN_CONFIG_FILE), "w") as f:
    f.write(train_config.to_json() + "\n")


def _require_writable(model_dir):
  try:
    os.makedirs(model_dir, exist_ok=True)
    probe = os.path.join(model_dir, ".write_test")
    with open(probe, "w") as f:
      f.write("ok")
    os.remove(probe)
  except OSError as error:
    raise OSError(f"Cannot write to --model_dir {model_dir}: {error.strerror or error}. "
                  f"Choose a directory you can write to, with free space.") from None
