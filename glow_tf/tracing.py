"""`tf.function` as glow_tf traces its own code: without AutoGraph.

glow_tf branches on tensors with TensorFlow ops only (`tf.cond`, `tf.debugging` checks), never with Python `if` or
`for` on a tensor, so AutoGraph's rewriting of the source of every function a trace calls changes nothing in the
graph; it costs about a second of every process's start-up (train.py on the tiny test model: 10.9 s with it,
9.8 s without). A Python branch on a tensor, should one be written, fails loudly in graph mode rather than
silently.
"""

import tensorflow as tf
from tensorflow.python.framework import func_graph  # For TraceCounter: no public hook.


def graph_function(fn, **options):
  """`tf.function(fn, **options)` without AutoGraph."""
  return tf.function(fn, autograph=False, **options)


class TraceCounter:
  """Counts the graphs TensorFlow traces (tf.function's and tf.data's) while it is active, by name.

  A long run should trace its functions in its first steps and never again: every new trace costs time and keeps
  a graph alive (tfp.bijectors.Glow users report memory growing with steps: tensorflow/probability#1177).

      with TraceCounter() as traces:
        ...
      traces.total, traces.names
  """

  def __init__(self):
    self.names = []

  @property
  def total(self):
    return len(self.names)

  def __enter__(self):
    # Every trace, of a tf.function or of a tf.data function, builds its graph through this one function.
    self._original = func_graph.func_graph_from_py_func

    def counted(name, *args, **kwargs):
      self.names.append(name)
      return self._original(name, *args, **kwargs)

    func_graph.func_graph_from_py_func = counted
    return self

  def __exit__(self, *exc_info):
    func_graph.func_graph_from_py_func = self._original
