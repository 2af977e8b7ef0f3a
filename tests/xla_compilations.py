"""Run as a script by tests/test_xla.py: a user's own `tf.function(jit_compile=True)` over a default tiny Glow,
each function called three times with the same inputs; prints, as JSON, {function: [XLA compilations after the
first call, after the third, traces of the compiled function after the first call, after the third]}.

XLA counts its compilations nowhere Python can read, so they are counted as the modules it dumps: the environment
must set XLA_FLAGS=--xla_dump_to=<an empty directory>, given again as the first argument.
"""

import json
import os
import sys

import tensorflow as tf

from glow_tf import Glow, GlowConfig

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2)
CONFIG = dict(image_shape=(4, 4, 3), levels=2, steps_per_level=1, hidden_channels=8)


def compilations(dump):
  return sum(name.endswith("before_optimizations.txt") for name in os.listdir(dump))


def counted(dump, function, *args, compiled=None):
  """Calls `function(*args)` three times; `compiled` is the jit-compiled function it calls (itself by default)."""
  compiled = compiled or function
  function(*args)
  first = [compilations(dump), compiled.experimental_get_tracing_count()]
  for _ in range(2):
    function(*args)
  return [first[0], compilations(dump), first[1], compiled.experimental_get_tracing_count()]


def training_step(glow, optimizer):
  @tf.function(jit_compile=True)
  def step(x, labels):
    with tf.GradientTape() as tape:
      loss = -tf.reduce_mean(glow.log_prob(x, labels))
    optimizer.apply_gradients(zip(tape.gradient(loss, glow.trainable_variables), glow.trainable_variables))
    return loss
  return step


def model(num_classes=0, backprop="stored"):
  glow = Glow(GlowConfig(**CONFIG, num_classes=num_classes), backprop=backprop)
  optimizer = tf.keras.optimizers.Adam(1e-3)
  optimizer.build(glow.trainable_variables)
  return glow, optimizer


def main(dump):
  x = tf.random.stateless_uniform([4, 4, 4, 3], [1, 2], -0.5, 0.5)
  labels = tf.constant([0, 1, 2, 0])
  counts = {}
  for name, num_classes, backprop in (("step", 0, "stored"), ("step with labels", 3, "stored"),
                                      ("step, invertible backprop", 0, "invertible")):
    glow, optimizer = model(num_classes, backprop)
    glow.initialize(x, labels if num_classes else None)
    counts[name] = counted(dump, training_step(glow, optimizer), x, labels if num_classes else None)
  counts["sample"] = counted(dump, tf.function(lambda: glow.sample(4, 0.7, seed=tf.constant([1, 2])),
                                               jit_compile=True))
  counts["encode and decode"] = counted(dump, tf.function(lambda x: glow.decode(glow.encode(x)), jit_compile=True), x)

  strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
  with strategy.scope():
    glow, optimizer = model()
  glow.initialize(x)

  @tf.function(jit_compile=True)
  def replica_gradients(x):
    with tf.GradientTape() as tape:
      loss = -tf.reduce_mean(glow.distribution.log_prob(x))
    return tape.gradient(loss, glow.trainable_variables)

  def summed_gradients(x):
    gradients = replica_gradients(x)
    return tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, gradients)

  @tf.function
  def mirrored_step(x):
    summed = strategy.run(summed_gradients, args=(x,))
    optimizer.apply_gradients(zip([strategy.experimental_local_results(g)[0] for g in summed],
                                  glow.trainable_variables))

  distributed_x = strategy.experimental_distribute_values_from_function(lambda context: x)
  counts["mirrored step"] = counted(dump, mirrored_step, distributed_x, compiled=replica_gradients)
  print(json.dumps(counts))


if __name__ == "__main__":
  main(sys.argv[1])
