"""Where XLA pays on this CPU: glow_tf's training step and log_prob as a graph and with XLA, side by side, over
models of growing size; the numbers behind `glow_tf.fast_path`'s automatic choice.

    python bench/xla_choice.py                    # about 8 minutes on 2 cores
    python bench/xla_choice.py --configs=digits,w128_b16

Each config runs in a fresh process that builds the model twice (graph, XLA), times the first call of each
(tracing, and XLA's compilation), then times both round-robin (common.images_per_second). The table gives each call's
forward GFLOP (glow_tf.fast_path.forward_flops), images/s, the XLA / graph ratio, the extra seconds XLA's first
call took, and what `fast_path.use_xla` picks for a run of 1000 steps.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# name: (image shape, levels L, steps per level K, width W, batch)
CONFIGS = {
    "digits": ((8, 8, 1), 2, 8, 64, 64),  # digits' earlier preset (K=8, W=64) and batch.
    "w128_b16": ((32, 32, 3), 3, 8, 128, 16),
    "w128_b32": ((32, 32, 3), 3, 8, 128, 32),
    "w128_b64": ((32, 32, 3), 3, 8, 128, 64),
    "w256_b16": ((32, 32, 3), 3, 8, 256, 16),
    "w512_b16": ((32, 32, 3), 3, 8, 512, 16),
}
MEASUREMENTS = ("train", "log_prob")


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated: " + ", ".join(CONFIGS))
  parser.add_argument("--coupling", default="affine", choices=("affine", "additive"))
  parser.add_argument("--repeats", type=int, default=3, help="timed rounds; medians are reported")
  parser.add_argument("--seconds", type=float, default=1.0, help="minimum duration of one timing")
  parser.add_argument("--worker", help=argparse.SUPPRESS)
  return parser.parse_args()


def glow_config(name, coupling):
  from glow_tf import GlowConfig  # pylint: disable=g-import-not-at-top
  shape, levels, steps, hidden, _ = CONFIGS[name]
  return GlowConfig(image_shape=shape, levels=levels, steps_per_level=steps, hidden_channels=hidden,
                    coupling=coupling)


def time_worker(args):
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from common import Ours, images_per_second  # pylint: disable=g-import-not-at-top

  (size, _, channels), levels, steps, hidden, batch = CONFIGS[args.worker]
  x = tf.constant(np.random.default_rng(0).uniform(-0.5, 0.5, [batch, size, size, channels]).astype(np.float32))
  calls, first_call = {}, {}
  for xla in (False, True):
    ours = Ours(size, levels, steps, hidden, batch, args.coupling, x, optimizer="adam", xla=xla, channels=channels)
    calls[f"train/{xla}"] = lambda o=ours: o.train(x)
    calls[f"log_prob/{xla}"] = lambda o=ours: o.log_prob(x)
  for key, call in calls.items():
    start = time.perf_counter()
    call().numpy()
    first_call[key] = time.perf_counter() - start
  timings = images_per_second(calls, batch, args.repeats, args.seconds)
  return {"images_per_second": {key: statistics.median(values) for key, values in timings.items()},
          "first_call": first_call}


def main():
  args = parse_args()
  if args.worker:
    print(json.dumps(time_worker(args)))
    return
  from glow_tf import fast_path  # pylint: disable=g-import-not-at-top
  print(f"{args.coupling} coupling; images/s, median of {args.repeats} interleaved rounds\n")
  print("| config | measurement | forward GFLOP per call | graph | XLA | XLA / graph | XLA's first call, extra s "
        "| automatic choice (1000 calls) |")
  print("| --- | --- | --- | --- | --- | --- | --- | --- |")
  for name in args.configs.split(","):
    command = [sys.executable, os.path.abspath(__file__), f"--worker={name}", f"--coupling={args.coupling}",
               f"--repeats={args.repeats}", f"--seconds={args.seconds}"]
    result = json.loads(subprocess.run(command, stdout=subprocess.PIPE, check=True, text=True).stdout.splitlines()[-1])
    config, batch = glow_config(name, args.coupling), CONFIGS[name][-1]
    for measurement in MEASUREMENTS:
      speed, first = result["images_per_second"], result["first_call"]
      graph, xla = speed[f"{measurement}/False"], speed[f"{measurement}/True"]
      extra = first[f"{measurement}/True"] - first[f"{measurement}/False"]
      chosen = fast_path.use_xla(None, config, batch, calls=1000, training=measurement == "train")
      print(f"| {name} | {measurement} | {fast_path.forward_flops(config) * batch / 1e9:.1f} | {graph:.1f} | "
            f"{xla:.1f} | {xla / graph:.2f}x | {extra:+.1f} | {'XLA' if chosen else 'graph'} |", flush=True)


if __name__ == "__main__":
  main()
