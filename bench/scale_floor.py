"""Choosing the affine coupling's scale floor: sample failures and test bits/dim, per floor and seed.

    python bench/scale_floor.py                                 # floors 0 0.01 0.1 0.3, seeds 0 1 2
    python bench/scale_floor.py --floors 0 0.1 --seeds 0 --samples 6400
    python bench/scale_floor.py --saved_model=saved_models/digits/1   # the shipped model alone

For each (floor, seed) it runs the default digits training (`python train.py --seed=S
--coupling_scale_floor=F`, 1000 steps) in its own process under `--runs_dir`, unless that run has already
finished there, then in this process:
- test bits/dim over the whole test split, averaged over `--dequantizations` noise draws;
- `--samples` samples at each temperature, drawn as the `sample` signature draws them: requests of 64 with
  stateless seed [s, 7], s = 0, 1, ...; a request fails when any of its images is not finite. "wild" counts
  finite samples with a model-space value beyond +-1.5 (pixels clip at +-0.5), a sign of a sample that
  nearly overflowed.
It prints one table, and the per-floor means.
"""

import argparse
import math
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # pylint: disable=g-import-not-at-top
import tensorflow as tf  # pylint: disable=g-import-not-at-top

from glow_tf import data  # pylint: disable=g-import-not-at-top
from glow_tf.loading import load_model  # pylint: disable=g-import-not-at-top
from glow_tf.scoring import evaluate_dequantized_bits_per_dim  # pylint: disable=g-import-not-at-top

REQUEST = 64
WILD = 1.5


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--floors", type=float, nargs="+", default=[0.0, 0.01, 0.1, 0.3])
  parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
  parser.add_argument("--temperatures", type=float, nargs="+", default=[0.7, 1.0])
  parser.add_argument("--samples", type=int, default=100_000, help="samples per temperature")
  parser.add_argument("--dequantizations", type=int, default=4)
  parser.add_argument("--runs_dir", default="/tmp/glow_scale_floor")
  parser.add_argument("--saved_model", help="measure this model instead of training runs")
  return parser.parse_args()


def train(floor, seed, runs_dir):
  """The run directory of the default digits training with this floor and seed, trained if not yet."""
  model_dir = os.path.join(runs_dir, f"floor{floor:g}_seed{seed}")
  command = [sys.executable, os.path.join(REPO, "train.py"), f"--model_dir={model_dir}", f"--seed={seed}",
             f"--coupling_scale_floor={floor}", "--noexport", "--sample_every=0"]
  start = time.perf_counter()
  subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  print(f"  trained {model_dir} in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
  return model_dir


def sample_failures(glow, temperature, samples):
  """(failed requests, requests, non-finite samples, wild samples) over `samples` samples at `temperature`."""
  draw = tf.function(lambda seed: glow.sample(REQUEST, temperature, seed=seed))
  requests = math.ceil(samples / REQUEST)
  failed = nonfinite = wild = 0
  for s in range(requests):
    x = draw(tf.constant([s, 7], tf.int32)).numpy().reshape(REQUEST, -1)
    finite = np.isfinite(x).all(axis=1)
    failed += int(not finite.all())
    nonfinite += int((~finite).sum())
    wild += int((np.abs(x[finite]).max(axis=1) > WILD).sum())
  return failed, requests, nonfinite, wild


def measure(glow, args):
  config = glow.config
  make_test = lambda seed: data.make_pipeline("digits", config, split="test", batch_size=256, training=False,
                                              seed=seed)
  bpd = evaluate_dequantized_bits_per_dim(glow, make_test, args.dequantizations).mean
  return bpd, {t: sample_failures(glow, t, args.samples) for t in args.temperatures}


def main():
  args = parse_args()
  header = ["model", "floor", "test bits/dim"]
  for t in args.temperatures:
    header += [f"failed requests T={t:g}", f"non-finite T={t:g}", f"wild T={t:g}"]
  rows, by_floor = [], {}
  if args.saved_model:
    glow = load_model(args.saved_model).glow
    jobs = [(args.saved_model, glow.config.coupling_scale_floor, glow)]
  else:
    jobs = [(f"seed {seed}", floor, None) for floor in args.floors for seed in args.seeds]
  for name, floor, glow in jobs:
    if glow is None:
      glow = load_model(train(floor, int(name.split()[1]), args.runs_dir)).glow
    bpd, failures = measure(glow, args)
    row = [name, f"{floor:g}", f"{bpd:.4f}"]
    for t in args.temperatures:
      failed, requests, nonfinite, wild = failures[t]
      row += [f"{failed}/{requests}", str(nonfinite), str(wild)]
    rows.append(row)
    by_floor.setdefault(floor, []).append((bpd, failures))
    print(" | ".join(row), file=sys.stderr, flush=True)

  print(f"{args.samples} samples per temperature in requests of {REQUEST}; test bits/dim over "
        f"{args.dequantizations} dequantisations.\n")
  print("| " + " | ".join(header) + " |")
  print("|" + " --- |" * len(header))
  for row in rows:
    print("| " + " | ".join(row) + " |")
  if len(args.seeds) > 1 and not args.saved_model:
    print("\n| floor | mean test bits/dim | failed requests (all temperatures) | non-finite | wild |")
    print("| --- | --- | --- | --- | --- |")
    for floor, results in by_floor.items():
      failures = [f for _, per_t in results for f in per_t.values()]
      print(f"| {floor:g} | {np.mean([bpd for bpd, _ in results]):.4f} | {sum(f[0] for f in failures)} | "
            f"{sum(f[2] for f in failures)} | {sum(f[3] for f in failures)} |")


if __name__ == "__main__":
  main()
