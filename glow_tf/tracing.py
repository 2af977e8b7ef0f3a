"""`tf.function` as glow_tf traces its own code: without AutoGraph.

glow_tf branches on tensors with TensorFlow ops only (`tf.cond`, `tf.debugging` checks), never with Python `if` or
`for` on a tensor, so AutoGraph's rewriting of the source of every function a trace calls changes nothing in the
graph; it costs about a second of every process's start-up (train.py on the tiny test model: 10.9 s with it,
9.8 s without). A Python branch on a tensor, should one be written, fails loudly in graph mode rather than
silently.
"""

import tensorflow as tf


def graph_function(fn, **options):
  """`tf.function(fn, **options)` without AutoGraph."""
  return tf.function(fn, autograph=False, **options)
