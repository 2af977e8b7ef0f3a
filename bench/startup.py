"""What a train.py or evaluate.py process costs on a tiny model, with `fast_path.freeze_imports` and without, and
optionally with Grappler left on or with another ml_dtypes.

    python bench/startup.py                  # 5 rounds; about 2 minutes
    python bench/startup.py --repeats 9
    python bench/startup.py --grappler       # also with TensorFlow's graph optimiser on, as without glow_tf.startup
    pip install --target /tmp/ml_dtypes_0.7 --no-deps ml_dtypes==0.7.0
    python bench/startup.py --ml_dtypes=/tmp/ml_dtypes_0.7   # also as shipped but with that copy of ml_dtypes

The end-to-end tests' small model (one level of 2 flow steps, W=16, on digits) is trained once; then each round
runs, in fresh processes, train.py for 10 steps (exporting at the end) and evaluate.py bpd on two test batches: as
shipped, with `freeze_imports` patched to do nothing, given --grappler with `startup.no_graph_optimiser_without_gpu`
patched to do nothing (so Grappler rewrites every traced function before its first run) and, given --ml_dtypes,
with that ml_dtypes first on the path;
the order of the variants alternates between rounds. The table gives the median wall time of each process, from
its start to its exit, and each variant's ratio to the process as shipped. These are the processes the end-to-end
tests start by the dozen, and the first thing a user waits for.

    python bench/startup.py --unfrozen SCRIPT ARGS...   # what a round runs for the variant without the freeze
    python bench/startup.py --with_grappler SCRIPT ARGS...   # ... and for the one with Grappler
"""

import argparse
import importlib
import os
import runpy
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
sys.path.insert(0, REPO)

# The small model the end-to-end tests run train.py on.
from tests.tiny_run import SMALL_RUN_FLAGS  # pylint: disable=g-import-not-at-top

TINY = ("--dataset=digits", *SMALL_RUN_FLAGS, "--eval_every=0", "--sample_every=0")


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--repeats", type=int, default=5, help="rounds; medians are reported")
  parser.add_argument("--grappler", action="store_true", help="add a variant with TensorFlow's graph optimiser on")
  parser.add_argument("--ml_dtypes", metavar="DIR",
                      help="a directory holding another ml_dtypes (pip install --target DIR): adds a variant that "
                           "imports it instead of the installed one")
  return parser.parse_args()


# The variants that run a script with one of the library's start-up functions made a no-op: flag -> (module, name).
PATCHES = {"--unfrozen": ("glow_tf.fast_path", "freeze_imports"),
           "--with_grappler": ("glow_tf.startup", "no_graph_optimiser_without_gpu")}


def run_patched(flag, script, argv):
  """Runs `script` as __main__ with the function PATCHES[flag] names a no-op."""
  module_name, function = PATCHES[flag]
  module = importlib.import_module(module_name)
  delattr(module, function)  # AttributeError if the library lost it: the variants would then be the same.
  setattr(module, function, lambda *_: None)
  sys.argv = [script, *argv]
  sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
  runpy.run_path(script, run_name="__main__")


def seconds(command, env):
  """Wall time of one process, start to exit; fails with its output if it fails."""
  start = time.perf_counter()
  result = subprocess.run(command, capture_output=True, text=True, cwd=REPO,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **env))
  elapsed = time.perf_counter() - start
  if result.returncode != 0:
    raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}")
  return elapsed


def main():
  args = parse_args()
  from common import machine  # pylint: disable=g-import-not-at-top

  with tempfile.TemporaryDirectory(prefix="startup_") as work:
    trained = os.path.join(work, "trained")
    subprocess.run([sys.executable, "train.py", f"--model_dir={trained}", *TINY, "--steps=10", "--noexport"],
                   cwd=REPO, check=True, capture_output=True)
    processes = {
        "train.py, 10 steps and an export": lambda run: ["train.py", f"--model_dir={run}", *TINY, "--steps=10"],
        "evaluate.py bpd, 2 batches":
            lambda _: ["evaluate.py", "bpd", f"--model_dir={trained}", "--eval_batches=2"],
    }
    # name: (command prefix, environment)
    variants = {"as shipped": ([sys.executable], {}),
                "without freeze_imports": ([sys.executable, os.path.join(BENCH, "startup.py"), "--unfrozen"], {})}
    if args.grappler:
      variants["with Grappler"] = ([sys.executable, os.path.join(BENCH, "startup.py"), "--with_grappler"], {})
    if args.ml_dtypes:
      variants[f"with ml_dtypes {ml_dtypes_version(args.ml_dtypes)}"] = ([sys.executable],
                                                                         {"PYTHONPATH": args.ml_dtypes})
    times = {(name, variant): [] for name in processes for variant in variants}
    for repeat in range(args.repeats):
      for variant in (list(variants) if repeat % 2 == 0 else list(variants)[::-1]):
        prefix, env = variants[variant]
        for name, command in processes.items():
          run = os.path.join(work, f"{variant}{repeat}")
          times[name, variant].append(seconds([*prefix, *command(run)], env))
      print(f"round {repeat + 1}/{args.repeats} done", file=sys.stderr, flush=True)

  shipped, others = list(variants)[0], list(variants)[1:]
  print(f"{machine()}; ml_dtypes {ml_dtypes_version()} installed; {args.repeats} rounds, medians")
  print(f"| process | {shipped} (s) | " + " | ".join(f"{v} (s) | ratio" for v in others) + " |")
  print("| --- | --- |" + " --- | --- |" * len(others))
  for name in processes:
    medians = {variant: statistics.median(times[name, variant]) for variant in variants}
    cells = " | ".join(f"{medians[v]:.2f} | {medians[v] / medians[shipped]:.2f}x" for v in others)
    print(f"| {name} | {medians[shipped]:.2f} | {cells} |")


def ml_dtypes_version(path=None):
  """The version of ml_dtypes a process imports, with `path` first on its sys.path if given. Fails if `path` does
  not hold the ml_dtypes imported: its variant would measure the installed one."""
  env = dict(os.environ, PYTHONPATH=path) if path else None
  version, location = subprocess.run(
      [sys.executable, "-c", "import ml_dtypes; print(ml_dtypes.__version__, ml_dtypes.__file__)"], env=env,
      capture_output=True, text=True, check=True).stdout.split()
  if path and not os.path.abspath(location).startswith(os.path.join(os.path.abspath(path), "")):
    raise SystemExit(f"--ml_dtypes={path} holds no ml_dtypes: its processes would import {location}.")
  return version


if __name__ == "__main__":
  if sys.argv[1:2] and sys.argv[1] in PATCHES:
    run_patched(sys.argv[1], sys.argv[2], sys.argv[3:])
  else:
    main()
