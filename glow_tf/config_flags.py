"""absl flags made from the config dataclasses, so that a setting's name, type, choices and help are written once,
in its field (`choices.config_field`).

Every flag defaults to None, "not given": what the user left unset is filled in by the dataset's defaults, a
resumed run's config.json, or the dataclass's own default, in that order.
"""

import dataclasses

from absl import flags

# The flags defined here belong to the module that asks for them (train.py): its --help lists them.
flags.disclaim_key_flags()


def define_config_flags(config_class, flag_values=flags.FLAGS, names=None):
  """Defines `--<field>` for every field of `config_class` that has a flag help (or only those in `names`)."""
  for field in _flag_fields(config_class):
    if names is not None and field.name not in names:
      continue
    name, help_text, choices = field.name, field.metadata["flag_help"], field.metadata["choices"]
    if choices is not None:
      flags.DEFINE_enum(name, None, choices, help_text, flag_values=flag_values)
    elif field.type in (bool, bool | None):
      flags.DEFINE_boolean(name, None, help_text, flag_values=flag_values)
    elif field.type is int:
      flags.DEFINE_integer(name, None, help_text, flag_values=flag_values)
    elif field.type is float:
      flags.DEFINE_float(name, None, help_text, flag_values=flag_values)
    elif field.type in (str, str | None):
      flags.DEFINE_string(name, None, help_text, flag_values=flag_values)
    elif field.type == tuple[float, ...]:
      flags.DEFINE_list(name, None, help_text, flag_values=flag_values)
    else:
      raise TypeError(f"{config_class.__name__}.{name}: no flag type for {field.type}.")


def given_config_values(config_class, flag_values=flags.FLAGS):
  """{field: value} of the flags of `config_class`'s fields that were given, converted to the fields' types."""
  values = {}
  for field in _flag_fields(config_class):
    value = flag_values[field.name].value
    if value is None:
      continue
    if field.type == tuple[float, ...]:
      try:
        value = tuple(float(v) for v in value)
      except ValueError:
        raise ValueError(f"--{field.name} takes numbers separated by commas, e.g. 0,0.5,0.7,1; "
                         f"got {','.join(value)}.") from None
    values[field.name] = value
  return values


def _flag_fields(config_class):
  return [field for field in dataclasses.fields(config_class) if field.metadata.get("flag_help")]
