"""Package attributes imported on first use (PEP 562), so that importing a package's light modules (the configs, the
choices) does not load TensorFlow: `train.py --help` answers in a second."""

import importlib


def lazy_exports(package, modules):
  """`__getattr__` and `__dir__` for `package` that import `modules[name]` when `name` is first asked for.

  Args:
    package: the package's `__name__`.
    modules: {exported name: the module that defines it}.
  """

  def __getattr__(name):
    if name not in modules:
      # AttributeError lets `from package import submodule` go on to import the submodule.
      raise AttributeError(f"module {package!r} has no attribute {name!r}")
    return getattr(importlib.import_module(modules[name]), name)

  def __dir__():
    return sorted(modules)

  return __getattr__, __dir__
