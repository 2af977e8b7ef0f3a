"""Seconds per call of a user's own training step over a default Glow, under `tf.function` and under
`tf.function(jit_compile=True)`: the first call traces (and compiles), the later ones show whether anything is
traced or compiled again.

    python bench/jit_calls.py                      # 32x32x3, L=3, K=8, W=128, batch 16, Adam, 4 calls
    python bench/jit_calls.py --calls=6 --hidden=512

Each mode runs in a fresh process, one after the other, so neither pays for the other's tracing.
"""

import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODES = ("graph", "jit_compile")


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--image_size", type=int, default=32)
  parser.add_argument("--levels", type=int, default=3)
  parser.add_argument("--depth", type=int, default=8, help="steps per level K")
  parser.add_argument("--hidden", type=int, default=128)
  parser.add_argument("--batch", type=int, default=16)
  parser.add_argument("--calls", type=int, default=4)
  parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
  return parser.parse_args()


def worker(args):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from glow_tf import Glow, GlowConfig  # pylint: disable=g-import-not-at-top
  shape = (args.image_size, args.image_size, 3)
  glow = Glow(GlowConfig(image_shape=shape, levels=args.levels, steps_per_level=args.depth,
                         hidden_channels=args.hidden))
  x = tf.random.stateless_uniform([args.batch, *shape], [1, 2], -0.5, 0.5)
  glow.initialize(x)
  optimizer = tf.keras.optimizers.Adam(1e-4)
  optimizer.build(glow.trainable_variables)

  @tf.function(jit_compile=args.worker == "jit_compile")
  def step(x):
    with tf.GradientTape() as tape:
      loss = -tf.reduce_mean(glow.log_prob(x))
    optimizer.apply_gradients(zip(tape.gradient(loss, glow.trainable_variables), glow.trainable_variables))
    return loss

  seconds = []
  for _ in range(args.calls):
    start = time.perf_counter()
    step(x).numpy()
    seconds.append(time.perf_counter() - start)
  print(json.dumps(seconds))


def main():
  args = parse_args()
  if args.worker:
    return worker(args)
  flags = [f"--{name}={getattr(args, name)}" for name in ("image_size", "levels", "depth", "hidden", "batch", "calls")]
  from common import machine  # pylint: disable=g-import-not-at-top
  print(f"{args.image_size}x{args.image_size}x3, L={args.levels}, K={args.depth}, W={args.hidden}, batch "
        f"{args.batch}, Adam; seconds per call\n{machine()}\n")
  print("| mode | " + " | ".join(f"call {i + 1}" for i in range(args.calls)) + " |")
  print("| --- |" + " --- |" * args.calls)
  for mode in MODES:
    done = subprocess.run([sys.executable, os.path.abspath(__file__), f"--worker={mode}", *flags],
                          stdout=subprocess.PIPE, text=True, check=True)
    seconds = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"| {mode} | " + " | ".join(f"{s:.2f}" for s in seconds) + " |")


if __name__ == "__main__":
  main()
