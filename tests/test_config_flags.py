"""train.py's flags come from the config dataclasses' fields: one place for a setting's name, type, choices, help."""

import dataclasses
import subprocess
import sys

import pytest
from absl import flags

from glow_tf import config_flags
from glow_tf.choices import config_field
from glow_tf.model_config import GlowConfig
from glow_tf.training.train_config import TrainConfig
from tests.tiny_run import REPO



@dataclasses.dataclass(frozen=True)
class Settings:
  size: int = config_field(3, "A size.")
  rate: float = config_field(0.5, "A rate.")
  fast: bool = config_field(False, "Go fast.")
  kind: str = config_field("a", "A kind.", ("a", "b"))
  where: str | None = config_field(None, "A place.")
  temperatures: tuple[float, ...] = config_field((1.0,), "Some numbers.")
  internal: int = 7  # No flag help: no flag.


def settings_flags(argv):
  flag_values = flags.FlagValues()
  config_flags.define_config_flags(Settings, flag_values)
  flag_values(["prog", *argv])
  return flag_values


def test_each_field_with_a_help_becomes_a_flag_of_its_type_that_defaults_to_unset():
  flag_values = settings_flags([])
  assert sorted(flag_values) == ["fast", "kind", "rate", "size", "temperatures", "where"]
  assert all(flag_values[name].value is None for name in flag_values)
  assert config_flags.given_config_values(Settings, flag_values) == {}


def test_given_flags_come_back_as_the_fields_values():
  flag_values = settings_flags(["--size=5", "--rate=2", "--fast", "--kind=b", "--where=x", "--temperatures=0,0.7"])
  assert Settings(**config_flags.given_config_values(Settings, flag_values)) == Settings(
      size=5, rate=2.0, fast=True, kind="b", where="x", temperatures=(0.0, 0.7))


def test_a_value_outside_the_fields_choices_or_type_is_refused_by_the_flag():
  with pytest.raises(flags.IllegalFlagValueError, match=r"<a\|b>"):
    settings_flags(["--kind=c"])
  with pytest.raises(flags.IllegalFlagValueError):
    settings_flags(["--size=big"])
  with pytest.raises(ValueError, match="--temperatures takes numbers separated by commas"):
    config_flags.given_config_values(Settings, settings_flags(["--temperatures=hot"]))


def test_a_field_of_a_type_with_no_flag_is_refused_when_defined():
  @dataclasses.dataclass
  class Odd:
    shape: tuple[int, int] = config_field((1, 2), "A shape.")

  with pytest.raises(TypeError, match="Odd.shape"):
    config_flags.define_config_flags(Odd, flags.FlagValues())


@pytest.mark.slow
def test_train_py_help_lists_every_config_flag_without_loading_tensorflow():
  # Importing the configs and the flag maker must not load TensorFlow, or --help would take seconds.
  probe = ("import sys, glow_tf.config_flags, glow_tf.model_config, glow_tf.training.train_config; "
           "print('tensorflow' in sys.modules)")
  imported = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
  assert imported.stdout.strip() == "False"
  result = subprocess.run([sys.executable, "train.py", "--help"], cwd=REPO, capture_output=True, text=True)
  fields = [f.name for config in (GlowConfig, TrainConfig) for f in dataclasses.fields(config)
            if f.metadata.get("flag_help")]
  assert len(fields) >= 30
  for name in fields:
    assert f"--{name}:" in result.stdout or f"--[no]{name}:" in result.stdout, name
  assert "<affine|additive>" in result.stdout and "<stored|recomputed|invertible>" in result.stdout
