"""Run as a script by tests/test_backprop.py and bench/memory.py: the memory one training step allocates beyond
what the process held before it, as TensorFlow's own CPU allocator counts it.

    TF_CPU_ALLOCATOR_USE_BFC=true python tests/step_memory.py BACKPROP,STEPS_PER_LEVEL ... [--image_size=32 ...]

prints {"BACKPROP,STEPS_PER_LEVEL": [step bytes, parameter bytes], ...}: for each model, the allocator's high-water
mark during its second training step (the first traces and builds) less what the process held just before, and the
size of its weights (which the step's parameter gradients take again, in every mode). With TensorFlow's BFC allocator on the CPU (the environment variable above) the
allocator keeps these statistics; each allocation's size is fixed by the graph, and one inter-op thread runs the
ops in one order, so the figure is the same on every run and every Linux machine.
"""

import json
import os
import sys

import tensorflow as tf

from glow_tf import GlowConfig
from glow_tf.training import TrainConfig, Trainer

DEVICE = "CPU:0"


def step_peak_bytes(backprop, steps_per_level, image_size=32, levels=2, hidden=128, batch=8):
  tf.config.threading.set_inter_op_parallelism_threads(1)
  config = GlowConfig(image_shape=(image_size, image_size, 3), levels=levels, steps_per_level=steps_per_level,
                      hidden_channels=hidden, coupling="additive")
  trainer = Trainer(config, TrainConfig(batch_size=batch, backprop=backprop, xla=False, ema_decay=0))
  x = tf.random.stateless_uniform([batch, image_size, image_size, 3], [1, 2], -0.5, 0.5)
  trainer.initialize(x)
  trainer.train_step(x)["bits_per_dim"].numpy()
  tf.config.experimental.reset_memory_stats(DEVICE)
  before = tf.config.experimental.get_memory_info(DEVICE)["current"]
  trainer.train_step(x)["bits_per_dim"].numpy()
  parameter_bytes = sum(v.shape.num_elements() * v.dtype.size for v in trainer.glow.trainable_variables)
  return [tf.config.experimental.get_memory_info(DEVICE)["peak"] - before, parameter_bytes]


def main(argv):
  if os.environ.get("TF_CPU_ALLOCATOR_USE_BFC") != "true":
    sys.exit("Set TF_CPU_ALLOCATOR_USE_BFC=true: TensorFlow's default CPU allocator keeps no statistics.")
  sizes = dict(arg[2:].split("=") for arg in argv if arg.startswith("--"))
  models = [arg for arg in argv if not arg.startswith("--")]
  peaks = {}
  for model in models:
    backprop, depth = model.split(",")
    peaks[model] = step_peak_bytes(backprop, int(depth), **{key: int(value) for key, value in sizes.items()})
  print(json.dumps(peaks))


if __name__ == "__main__":
  main(sys.argv[1:])
