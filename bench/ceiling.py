"""The convolutions alone: how fast any implementation of the speed.py configs could be on this machine.

    python bench/ceiling.py                                  # every speed.py config; about 40 minutes
    python bench/ceiling.py --configs=w512_b16_additive --repeats=3

For each config, a traced function runs every convolution of a measurement on random tensors of the
right shapes and nothing else (no ActNorm, no coupling arithmetic, no split or squeeze, no log-det, no
optimiser): for training, each convolution's forward, input-gradient and filter-gradient ops; for log_prob and
sampling, each forward. A real implementation of the same architecture on these convolution kernels (TF's
oneDNN ones) does at least this work, so the function's speed is a ceiling for any of them at that precision; its independent ops may even overlap in ways
a real step's dependent ones cannot, which makes the ceiling generous. It runs in float32 and with bfloat16
tensors, timed interleaved with tfp.bijectors.Glow and glow_tf (float32, and bfloat16 networks) in one process
per config; the table gives medians and ratios to tfp. A ceiling under 2x tfp means no implementation at that
precision can be twice as fast as tfp there. The CelebA config holds several GB of random tensors.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # pylint: disable=g-import-not-at-top
from common import convolutions, images_per_second  # pylint: disable=g-import-not-at-top
from speed import CONFIGS, MEASUREMENTS, config_names, model_calls  # pylint: disable=g-import-not-at-top


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated names from: " + ", ".join(CONFIGS))
  parser.add_argument("--repeats", type=int, default=3, help="timed repeats per measurement; medians are reported")
  parser.add_argument("--seconds", type=float, default=2.0, help="minimum duration of one timed repeat")
  parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
  return parser.parse_args()


def convolution_inputs(config, dtype):
  """(input, kernel, output gradient) for every convolution of one batch's forward pass, as random tensors."""
  image_size, levels, steps, hidden, batch, coupling = config
  inputs = []
  for count, size, c_in, c_out, k in convolutions(image_size, levels, steps, hidden, coupling):
    for _ in range(count):
      # Tensors of its own for every convolution: identical ops on identical inputs would be merged by grappler.
      seed = [len(inputs), 0]
      inputs.append((tf.cast(tf.random.stateless_normal([batch, size, size, c_in], seed), dtype),
                     tf.cast(0.05 * tf.random.stateless_normal([k, k, c_in, c_out], seed), dtype),
                     tf.cast(tf.random.stateless_normal([batch, size, size, c_out], seed), dtype)))
  return inputs


def convolutions_only(inputs, backward):
  """A traced call running every convolution in `inputs` (and, with `backward`, both its gradients)."""

  def run():
    # One element of each result keeps every op alive without adding work worth counting.
    kept = []
    for x, kernel, dy in inputs:
      kept.append(tf.nn.conv2d(x, kernel, 1, "SAME")[0, 0, 0, 0])
      if backward:
        kept.append(tf.raw_ops.Conv2DBackpropInput(
            input_sizes=tf.shape(x), filter=kernel, out_backprop=dy, strides=[1, 1, 1, 1], padding="SAME")[0, 0, 0, 0])
        kept.append(tf.raw_ops.Conv2DBackpropFilter(
            input=x, filter_sizes=tf.shape(kernel), out_backprop=dy, strides=[1, 1, 1, 1], padding="SAME")[0, 0, 0, 0])
    return tf.add_n([tf.cast(v, tf.float32) for v in kept])
  return tf.function(run)


def worker(name, repeats, seconds):
  config = CONFIGS[name]
  batch = config[4]
  x = tf.random.stateless_uniform([batch, config[0], config[0], 3], [1, 2], -0.5, 0.5)
  calls = model_calls(config, x)
  for dtype in (tf.float32, tf.bfloat16):
    inputs = convolution_inputs(config, dtype)
    calls[f"convolutions_{dtype.name}", "train"] = convolutions_only(inputs, backward=True)
    calls[f"convolutions_{dtype.name}", "forward"] = convolutions_only(inputs, backward=False)
  for call in calls.values():
    call().numpy()  # Traces.
  timings = images_per_second(calls, batch, repeats, seconds)
  return {f"{i}/{m}": statistics.median(t) for (i, m), t in timings.items()}


def table(results):
  lines = ["| config | measurement | tfp img/s | glow_tf float32 (x tfp) | convolutions only, float32 (x tfp) | "
           "glow_tf bfloat16 networks (x tfp) | convolutions only, bfloat16 (x tfp) |",
           "|---|---|---|---|---|---|---|"]
  for name, speed in results.items():
    for measurement in MEASUREMENTS:
      ceiling = "train" if measurement == "train" else "forward"
      tfp_speed = speed[f"tfp/{measurement}"]
      cells = [f"{speed[key]:.1f} ({speed[key] / tfp_speed:.2f}x)" for key in (
          f"glow_tf/{measurement}", f"convolutions_float32/{ceiling}", f"glow_tf_bf16/{measurement}",
          f"convolutions_bfloat16/{ceiling}")]
      lines.append(f"| {name} | {measurement} | {tfp_speed:.1f} | " + " | ".join(cells) + " |")
  return "\n".join(lines)


def main():
  args = parse_args()
  names = config_names(args.configs)
  if args.worker:
    print(json.dumps(worker(names[0], args.repeats, args.seconds)))
    return
  results = {}
  for name in names:
    print(f"{name} ...", file=sys.stderr, flush=True)
    command = [sys.executable, os.path.abspath(__file__), "--worker", f"--configs={name}",
               f"--repeats={args.repeats}", f"--seconds={args.seconds}"]
    output = subprocess.run(command, stdout=subprocess.PIPE, check=True, text=True).stdout
    results[name] = json.loads(output.strip().splitlines()[-1])
    print(json.dumps({name: results[name]}), file=sys.stderr, flush=True)
  print(f"`python bench/ceiling.py {' '.join(sys.argv[1:])}`: images/s, median of {args.repeats}\n")
  print(table(results))


if __name__ == "__main__":
  main()
