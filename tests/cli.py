"""train.py and evaluate.py in-process, for tests of their flags without a subprocess each.

Both scripts define --model_dir, --dataset, --batch_size and a few more, and absl keeps one flag registry per
process, so importing both raises DuplicateFlagError. `parse` imports a script with the other's flags set aside,
and puts its flags back in the registry before parsing its command line.
"""

import importlib
import sys

from absl import flags

FLAGS = flags.FLAGS
SCRIPTS = ("train", "evaluate")
_script_flags = {}  # script -> {flag name: Flag}, recorded once, when the script is first seen imported.


def parse(script, argv):
  """Imports `script` ('train' or 'evaluate') if need be and parses `argv` with its flags alone.

  Returns:
    (the script's module, the positional arguments as absl hands them to `main`: [argv[0], ...]).

  Raises:
    absl.flags.Error: a flag absl itself refuses (unknown, or not of its type).
  """
  _record_imported_scripts()
  if script not in _script_flags:
    for other in _script_flags.values():
      _remove(other)
    importlib.import_module(script)
    _record_imported_scripts()
  for name, flag in _script_flags[script].items():
    if name in FLAGS and FLAGS[name] is not flag:
      delattr(FLAGS, name)
    if name not in FLAGS:
      FLAGS[name] = flag
  FLAGS.unparse_flags()
  return sys.modules[script], FLAGS(argv)


def _record_imported_scripts():
  by_module = FLAGS.flags_by_module_dict()
  for script in SCRIPTS:
    if script in sys.modules and script not in _script_flags:
      _script_flags[script] = {flag.name: flag for flag in by_module[script]}


def _remove(script_flags):
  for name, flag in script_flags.items():
    if name in FLAGS and FLAGS[name] is flag:
      delattr(FLAGS, name)
