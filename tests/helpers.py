"""Shared checks for bijector tests: log-dets by autodiff, randomised parameters; bench scripts as modules."""

import contextlib
import importlib
import os
import sys

import numpy as np
import tensorflow as tf

from tests.tiny_run import REPO


def autodiff_log_det(fn, x):
  """log|det d fn(x) / dx| per example, from the full Jacobian of the flattened map (tiny inputs only)."""
  batch = x.shape[0]
  x_flat = tf.reshape(x, [batch, -1])
  with tf.GradientTape() as tape:
    tape.watch(x_flat)
    # tf.identity: a fresh tensor, so no bijector cache can hand back a result computed outside the tape.
    y_flat = tf.reshape(fn(tf.reshape(tf.identity(x_flat), x.shape)), [batch, -1])
  jacobian = tape.batch_jacobian(y_flat, x_flat)
  return tf.linalg.slogdet(jacobian)[1].numpy()


def randomize(module, seed=0, scale=0.1):
  """Adds noise to every trainable variable, so zero-initialised couplings and priors stop being the identity."""
  rng = np.random.default_rng(seed)
  for variable in module.trainable_variables:
    noise = rng.standard_normal(variable.shape) * scale
    variable.assign_add(tf.constant(noise, variable.dtype))


def fresh(x):
  """A new tensor with x's value: bypasses TFP's bijector cache, which keys results on the input tensor."""
  return tf.constant(np.asarray(x))


def adam_losses(glow, x, steps=20, learning_rate=1e-2):
  """The negative log-likelihood of the batch x before each of `steps` Adam steps on it."""
  optimizer = tf.keras.optimizers.Adam(learning_rate)

  @tf.function
  def step(batch):
    with tf.GradientTape() as tape:
      loss = -tf.reduce_mean(glow.log_prob(batch))
    optimizer.apply_gradients(zip(tape.gradient(loss, glow.trainable_variables), glow.trainable_variables))
    return loss

  return [float(step(x)) for _ in range(steps)]


def all_operations(graph):
  """The operations of a traced graph and of every function it calls, each function once (a level's flow steps
  share one traced function, `SharedTrace`)."""
  graphs, seen = [graph], set()
  for current in graphs:
    for name, function in current._functions.items():  # pylint: disable=protected-access
      if name not in seen and function.graph is not None:
        seen.add(name)
        graphs.append(function.graph)
  return [op for current in graphs for op in current.get_operations()]


@contextlib.contextmanager
def bench_module(name):
  """bench/<name>.py imported as its siblings import it (by bare name, bench/ on the path), for the block."""
  bench = os.path.join(REPO, "bench")
  sys.path.insert(0, bench)
  try:
    yield importlib.import_module(name)
  finally:
    sys.path.remove(bench)
