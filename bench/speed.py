"""Speed against tfp.bijectors.Glow: training, log_prob and sampling throughput, peak memory, FLOP utilisation.

    python bench/speed.py                                   # every config; about 40 minutes on 2 CPU cores
    python bench/speed.py --configs=w128_b16_affine --repeats=3 --results=""   # one config, print only
    python bench/speed.py --ceiling --repeats=3 --results=""   # and the convolutions alone: the ceiling

Every config runs in fresh subprocesses. One times glow_tf and tfp.bijectors.Glow interleaved in the same
process (repeat r of every measurement of ours and of theirs, the order alternating between repeats, then a
2048^3 float32 matmul for the machine's peak), so that load from other processes falls on both alike; the
table gives medians over repeats and the ratio of the medians. Two more subprocesses per config, one per
implementation, build the model, train two steps, and report their peak RSS.

A third model is timed in the same interleaving: ours with `network_dtype="bfloat16"` (coupling networks in
mixed precision, same architecture, everything else float32). It is a column of its own, for machines with
bfloat16 arithmetic (AVX512-BF16 here); the float32 columns compare like with like.

Both models have the same architecture: L levels of K steps (ActNorm, LU 1x1 convolution, coupling whose
network is conv3x3(W) -> ReLU -> conv1x1(W) -> ReLU -> zero conv3x3), learned split priors, the same batch of
32x32x3 (or 64x64x3) images. Training is a GradientTape step with Adamax inside tf.function for both (ours:
`Trainer.train_step`, which also checks finiteness and counts steps). Sampling draws `batch` images at T = 1.

With --ceiling, the same interleaving also times, per config, a traced function that runs every convolution of a
measurement on random tensors of the right shapes and nothing else (no ActNorm, coupling arithmetic, split,
squeeze, log-det or optimiser): for training each convolution's forward, input-gradient and filter-gradient ops,
for log_prob and sampling each forward, in float32 and in bfloat16. An implementation of the same architecture on
these kernels (TensorFlow's oneDNN ones) does at least this work, so its speed is a ceiling for any of them at
that precision (a generous one: its independent ops may overlap as a real step's dependent ones cannot). A
ceiling under 2x tfp means no implementation at that precision can be twice as fast as tfp there. The CelebA
config holds several GB of random tensors for it.

Model FLOP utilisation (MFU): the analytic FLOPs of training one image (2*k*k*C_in*C_out*H*W per convolution
forward, times 3 for forward and backward; element-wise ops not counted) times images/s, over the matmul peak
measured in the same run.
"""

import argparse
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import tensorflow as tf  # pylint: disable=g-import-not-at-top
from common import Ours, Tfp, config_flops, convolutions, images_per_second, machine  # pylint: disable=g-import-not-at-top

# name: (image size, levels L, steps per level K, hidden W, batch, coupling)
CONFIGS = {
    f"w{hidden}_b{batch}_{coupling}": (32, 3, 8, hidden, batch, coupling)
    for coupling in ("affine", "additive") for hidden in (128, 512) for batch in (16, 64)
}
# The paper's CelebA model at 64x64 (glow_tf/data/info.py, `--preset=paper`); heavy, so a small batch.
CONFIGS["celeba64_b4_additive"] = (64, 4, 32, 512, 4, "additive")
MEASUREMENTS = ("train", "log_prob", "sample")
PEAK_SIZE = 2048


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated names from: " + ", ".join(CONFIGS))
  parser.add_argument("--repeats", type=int, default=5, help="timed repeats per measurement; medians are reported")
  parser.add_argument("--seconds", type=float, default=2.0, help="minimum duration of one timed repeat")
  parser.add_argument("--ceiling", action="store_true",
                      help="also time each measurement's convolutions alone, and print their table")
  parser.add_argument("--results", default=os.path.join(REPO, "bench", "RESULTS.md"),
                      help="markdown file to (re)write the table into; empty to print only")
  parser.add_argument("--worker", choices=("time", "memory"), help=argparse.SUPPRESS)
  parser.add_argument("--implementation", choices=("glow_tf", "tfp"), help=argparse.SUPPRESS)
  return parser.parse_args()


def model_calls(config, x):
  """{(implementation, measurement): call} for glow_tf, tfp and glow_tf with bfloat16 networks on batch `x`."""
  models = {"glow_tf": Ours(*config, x), "tfp": Tfp(*config, x),
            "glow_tf_bf16": Ours(*config, x, network_dtype="bfloat16")}
  return {
      (implementation, measurement): {"train": lambda m=model: m.train(x), "log_prob": lambda m=model: m.log_prob(x),
                                      "sample": lambda m=model: m.sample()}[measurement]
      for implementation, model in models.items() for measurement in MEASUREMENTS}


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


def time_worker(name, repeats, seconds, ceiling):
  image_size, _, _, _, batch, _ = CONFIGS[name]
  x = tf.random.stateless_uniform([batch, image_size, image_size, 3], [1, 2], -0.5, 0.5)
  calls = model_calls(CONFIGS[name], x)
  if ceiling:
    for dtype in (tf.float32, tf.bfloat16):
      inputs = convolution_inputs(CONFIGS[name], dtype)
      calls[f"convolutions_{dtype.name}", "train"] = convolutions_only(inputs, backward=True)
      calls[f"convolutions_{dtype.name}", "forward"] = convolutions_only(inputs, backward=False)
  for key, call in calls.items():
    start = time.perf_counter()
    call().numpy()  # Traces.
    print(f"{key}: first call {time.perf_counter() - start:.1f}s", file=sys.stderr)
  a = tf.random.stateless_normal([PEAK_SIZE, PEAK_SIZE], [3, 4])
  matmul = tf.function(lambda: tf.matmul(a, a))
  matmul().numpy()
  peaks = []

  def measure_peak():
    start = time.perf_counter()
    for _ in range(3):
      matmul().numpy()
    peaks.append(3 * 2 * PEAK_SIZE**3 / (time.perf_counter() - start) / 1e9)

  timings = images_per_second(calls, batch, repeats, seconds, between_rounds=measure_peak)
  return {"images_per_second": {f"{i}/{m}": statistics.median(t) for (i, m), t in timings.items()},
          "all": {f"{i}/{m}": t for (i, m), t in timings.items()},
          "peak_gflops": statistics.median(peaks), "peaks": peaks}


def memory_worker(name, implementation):
  image_size, _, _, _, batch, _ = CONFIGS[name]
  x = tf.random.stateless_uniform([batch, image_size, image_size, 3], [1, 2], -0.5, 0.5)
  model = (Ours if implementation == "glow_tf" else Tfp)(*CONFIGS[name], x)
  for _ in range(2):
    model.train(x).numpy()
  return {"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_worker(*args):
  command = [sys.executable, os.path.abspath(__file__), *args]
  result = subprocess.run(command, stdout=subprocess.PIPE, check=True, text=True)
  return json.loads(result.stdout.strip().splitlines()[-1])


def table(results):
  lines = [
      "| config (image, L, K, W, batch, coupling) | train img/s ours / tfp (ratio) | log_prob img/s ours / tfp "
      "(ratio) | sample img/s ours / tfp (ratio) | peak RSS MB ours / tfp | MFU train ours / tfp | matmul peak "
      "GFLOP/s | ours, bfloat16 networks: train / log_prob / sample img/s (ratio to tfp) |",
      "|---|---|---|---|---|---|---|---|"]
  for name, r in results.items():
    image_size, levels, steps, hidden, batch, coupling = CONFIGS[name]
    speed = r["images_per_second"]
    cells = []
    for measurement in MEASUREMENTS:
      ours, theirs = speed[f"glow_tf/{measurement}"], speed[f"tfp/{measurement}"]
      cells.append(f"{ours:.1f} / {theirs:.1f} (**{ours / theirs:.2f}x**)")
    train_flops = 3 * config_flops(image_size, levels, steps, hidden, coupling)
    mfu = [train_flops * speed[f"{i}/train"] / (r["peak_gflops"] * 1e9) for i in ("glow_tf", "tfp")]
    mixed = " / ".join(f"{speed[f'glow_tf_bf16/{m}']:.1f} ({speed[f'glow_tf_bf16/{m}'] / speed[f'tfp/{m}']:.2f}x)"
                       for m in MEASUREMENTS)
    lines.append(
        f"| {name} ({image_size}x{image_size}x3, {levels}, {steps}, {hidden}, {batch}, {coupling}) | "
        + " | ".join(cells)
        + f" | {r['glow_tf_rss_mb']:.0f} / {r['tfp_rss_mb']:.0f} | {mfu[0]:.0%} / {mfu[1]:.0%} | "
          f"{r['peak_gflops']:.0f} | {mixed} |")
  return "\n".join(lines)


def ceiling_table(results):
  lines = ["| config | measurement | tfp img/s | glow_tf float32 (x tfp) | convolutions only, float32 (x tfp) | "
           "glow_tf bfloat16 networks (x tfp) | convolutions only, bfloat16 (x tfp) |",
           "|---|---|---|---|---|---|---|"]
  for name, result in results.items():
    speed = result["images_per_second"]
    for measurement in MEASUREMENTS:
      ceiling = "train" if measurement == "train" else "forward"
      tfp_speed = speed[f"tfp/{measurement}"]
      cells = [f"{speed[key]:.1f} ({speed[key] / tfp_speed:.2f}x)" for key in (
          f"glow_tf/{measurement}", f"convolutions_float32/{ceiling}", f"glow_tf_bf16/{measurement}",
          f"convolutions_bfloat16/{ceiling}")]
      lines.append(f"| {name} | {measurement} | {tfp_speed:.1f} | " + " | ".join(cells) + " |")
  return "\n".join(lines)


def config_names(text):
  """The names in a comma-separated --configs value; exits naming the choices if one is unknown."""
  names = [n for n in text.split(",") if n]
  unknown = [n for n in names if n not in CONFIGS]
  if unknown:
    raise SystemExit(f"Unknown configs {unknown}; choose from {', '.join(CONFIGS)}.")
  return names


def main():
  args = parse_args()
  names = config_names(args.configs)
  if args.worker == "time":
    print(json.dumps(time_worker(names[0], args.repeats, args.seconds, args.ceiling)))
    return
  if args.worker == "memory":
    print(json.dumps(memory_worker(names[0], args.implementation)))
    return
  results = {}
  for name in names:
    print(f"{name} ...", file=sys.stderr, flush=True)
    result = run_worker("--worker=time", f"--configs={name}", f"--repeats={args.repeats}", f"--seconds={args.seconds}",
                        *(["--ceiling"] if args.ceiling else []))
    for implementation in ("glow_tf", "tfp"):
      memory = run_worker("--worker=memory", f"--configs={name}", f"--implementation={implementation}")
      result[f"{implementation}_rss_mb"] = memory["peak_rss_mb"]
    results[name] = result
    print(json.dumps({name: result}), file=sys.stderr, flush=True)
  text = table(results)
  print(text)
  if args.ceiling:
    print(f"\nThe convolutions alone: images/s, median of {args.repeats}\n\n{ceiling_table(results)}")
  if args.results:
    write_results(args.results, text, results, " ".join(["python", *sys.argv]))


def write_results(path, text, results, command):
  """Replaces the generated section of `path` (between markers), keeping the hand-written notes around it."""
  begin, end = "<!-- speed.py table begin -->", "<!-- speed.py table end -->"
  section = (f"{begin}\n`{command}` on {datetime.date.today()}; {machine()}.\n\n{text}\n\n"
             f"<details><summary>raw timings (images/s per repeat)</summary>\n\n```json\n"
             f"{json.dumps({n: r['all'] for n, r in results.items()}, indent=1)}\n```\n</details>\n{end}")
  old = open(path).read() if os.path.exists(path) else f"# Speed\n\n{begin}\n{end}\n"
  if begin not in old:
    old += f"\n{begin}\n{end}\n"
  head, rest = old.split(begin, 1)
  with open(path, "w") as f:
    f.write(head + section + rest.split(end, 1)[1])


if __name__ == "__main__":
  main()
