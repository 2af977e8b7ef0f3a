"""One traced graph for all the flow steps of a level, each call made with the calling step's own weights."""

import contextlib
import functools

import tensorflow as tf
# No public API says whether a trace is being compiled by XLA; TensorArray and friends ask this one.
from tensorflow.python.ops import control_flow_util  # pylint: disable=g-direct-tensorflow-import

from glow_tf.tracing import graph_function


class SharedTrace:
  """Traces the `_encode(x)` and `_decode(y)` of layers built like `template` once, for all of them.

  A Glow level's K flow steps are built by the same code with the same arguments; only their weights differ.
  Traced inline, a training step holds K copies of every step's forward and backward graph (128 for the
  CelebA default): minutes of tracing and gigabytes of graph. Here each direction is one `tf.function` that
  takes the weights as arguments; TensorFlow traces it, and its gradient, once per input shape, and each
  layer calls it with its own weights. While tracing, the template's variables are stood in for by the
  function's arguments, so the layers' code runs as written.

  Inside a function that XLA compiles (`tf.function(jit_compile=True)`, whoever wrote it) the layers run inline
  instead: XLA compiles the whole function, shared calls included, and TensorFlow 2.21 recompiled a function
  that called the shared trace at every call (18 s a call instead of 0.15 s at 32x32, L=3, K=8, W=128).
  """

  def __init__(self, template):
    self._template = template
    self._paths = _variable_paths(template)
    # Not inlined: graph optimisation would otherwise paste the K copies back into the step's graph before
    # optimising it (at 64x64, L=4, K=8: a first step of 12.9 s instead of 9.4 s, and 150 MB more).
    self._functions = {
        method: graph_function(functools.partial(self._traced, method), reduce_retracing=True,
                                experimental_attributes={"_noinline": True})
        for method in ("_encode", "_decode")}

  def __call__(self, method, layer, x):
    """`layer.<method>(x)` through the shared trace (inline under XLA); `layer` must be built like the template."""
    if control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph()):
      return getattr(layer, method)(x)
    # The weights go in as values read here, not as variables: under tf.distribute each replica reads its own
    # copy, and the read is what the tape differentiates.
    return self._functions[method](x, [tf.convert_to_tensor(_attribute_at(layer, path)) for path in self._paths])

  def _traced(self, method, x, variables):
    with _standing_in(self._template, self._paths, variables):
      return getattr(self._template, method)(x)


def _variable_paths(module):
  """The attribute path from `module` to each of its variables, once per variable."""
  paths = {}
  for path, variable in module._flatten(predicate=lambda v: isinstance(v, tf.Variable), with_path=True):  # pylint: disable=protected-access
    if path[0] != "_parameters":  # TFP's copy of the constructor arguments reaches the same variables again.
      paths.setdefault(variable.ref(), path)
  return list(paths.values())


def _attribute_at(obj, path):
  for name in path:
    obj = getattr(obj, name)
  return obj


@contextlib.contextmanager
def _standing_in(module, paths, values):
  """Within the context, the attribute at each path of `module` is the corresponding value."""
  originals = [_attribute_at(module, path) for path in paths]
  # object.__setattr__: a tf.Module would otherwise start tracking the stand-ins as checkpoint dependencies.
  for path, value in zip(paths, values):
    object.__setattr__(_attribute_at(module, path[:-1]), path[-1], value)
  try:
    yield
  finally:
    for path, original in zip(paths, originals):
      object.__setattr__(_attribute_at(module, path[:-1]), path[-1], original)
