"""What the all-reduce costs: one process on both cores against two MultiWorkerMirroredStrategy workers on one each.

    python bench/multi_worker.py                      # both configs, 3 repeats each; about 10 minutes
    python bench/multi_worker.py --configs=digits --repeats=1 --seconds=10

At the same global batch, the same model and the same step (`Trainer.train_step`), two launches are compared:
- one process pinned to both cores (the default strategy, TensorFlow's thread pools over 2 cores);
- two worker processes on 127.0.0.1, each pinned to one core with one-thread pools, each computing half of
  every batch and summing gradients with MultiWorkerMirroredStrategy's ring all-reduce over gRPC.
Both use all the machine has, so their ratio is the price of splitting the work over processes: the
all-reduce, the gRPC transfers and the lock-step waits (plus whatever one core per process gains or loses
against a 2-thread pool). Launches alternate between the two kinds; the table gives medians over repeats.
Each launch traces and warms up, then times steps for `--seconds`, reading the result back once at the end.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


from glow_tf.training.strategy import local_cluster  # pylint: disable=g-import-not-at-top
# name: (image shape, levels, steps per level, hidden channels, global batch)
CONFIGS = {
    "digits": ((8, 8, 1), 2, 8, 64, 64),  # The digits preset that `python train.py` trains.
    "w128_32x32": ((32, 32, 3), 3, 8, 128, 16),
}


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated names from: " + ", ".join(CONFIGS))
  parser.add_argument("--repeats", type=int, default=3, help="launches of each kind per config")
  parser.add_argument("--seconds", type=float, default=20.0, help="timed training per launch")
  parser.add_argument("--worker", help=argparse.SUPPRESS)  # Internal: run one timed launch of this config.
  return parser.parse_args()


def timed_worker(name, seconds):
  """Trains the config for about `seconds` after warm-up; prints its global images/s as JSON (the chief only)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  multi_worker = "TF_CONFIG" in os.environ
  if multi_worker:
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
  from glow_tf import GlowConfig  # pylint: disable=g-import-not-at-top
  from glow_tf.training import TrainConfig, Trainer, make_strategy, worker_role  # pylint: disable=g-import-not-at-top

  strategy = make_strategy("multi_worker" if multi_worker else "default")
  shape, levels, steps, hidden, batch = CONFIGS[name]
  config = GlowConfig(image_shape=shape, levels=levels, steps_per_level=steps, hidden_channels=hidden)
  trainer = Trainer(config, TrainConfig(batch_size=batch, warmup_steps=0), strategy)
  x = tf.random.stateless_uniform([batch, *shape], [0, 1], -0.5, 0.5)
  trainer.initialize(x)
  batches = iter(strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensors(x).repeat()))
  for _ in range(3):  # Tracing and warm-up.
    trainer.train_step(next(batches))["bits_per_dim"].numpy()
  # Every worker must run the same number of steps (a collective each): they agree on the mean of their counts.
  count = max(1, round(seconds / _seconds_per_step(trainer, batches)))
  total = strategy.reduce("SUM", strategy.run(lambda: tf.constant(count)), axis=None)
  count = max(1, int(total) // strategy.num_replicas_in_sync)
  start = time.perf_counter()
  for _ in range(count):
    metrics = trainer.train_step(next(batches))
  metrics["bits_per_dim"].numpy()
  if worker_role(strategy).is_chief:
    print(json.dumps({"images_per_second": count * batch / (time.perf_counter() - start), "steps": count}))


def _seconds_per_step(trainer, batches, steps=3):
  start = time.perf_counter()
  for _ in range(steps):
    metrics = trainer.train_step(next(batches))
  metrics["bits_per_dim"].numpy()
  return (time.perf_counter() - start) / steps


def launch(name, seconds, workers):
  """One timed launch: one process on cores 0-1, or `workers` processes on one core each; returns images/s."""
  command = [sys.executable, os.path.abspath(__file__), f"--worker={name}", f"--seconds={seconds}"]
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  if workers == 1:
    processes = [subprocess.Popen(["taskset", "-c", "0,1", *command], stdout=subprocess.PIPE, text=True, env=env)]
  else:
    processes = [subprocess.Popen(["taskset", "-c", str(index), *command], stdout=subprocess.PIPE, text=True,
                                  env=dict(env, TF_CONFIG=tf_config))
                 for index, tf_config in enumerate(local_cluster(workers))]
  outputs = [process.communicate(timeout=1800)[0] for process in processes]
  if any(process.returncode for process in processes):
    raise RuntimeError(f"a timed launch of {name} failed: exit codes {[p.returncode for p in processes]}")
  return json.loads(outputs[0].strip().splitlines()[-1])["images_per_second"]


def main():
  args = parse_args()
  if args.worker:
    timed_worker(args.worker, args.seconds)
    return
  names = args.configs.split(",")
  unknown = [name for name in names if name not in CONFIGS]
  if unknown:
    sys.exit(f"Unknown configs {unknown}; choose from {', '.join(CONFIGS)}.")
  cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
  print(f"CPU: {cpu}, {os.cpu_count()} cores; {args.repeats} launches of each kind, {args.seconds:g} s timed each\n")
  print("| config | global batch | 1 process, 2 cores (img/s) | 2 workers, 1 core each (img/s) "
        "| 2 workers / 1 process |")
  print("| --- | --- | --- | --- | --- |")
  for name in names:
    timings = {1: [], 2: []}
    for repeat in range(args.repeats):
      for workers in ((1, 2) if repeat % 2 == 0 else (2, 1)):
        timings[workers].append(launch(name, args.seconds, workers))
    one, two = statistics.median(timings[1]), statistics.median(timings[2])
    print(f"| {name} | {CONFIGS[name][-1]} | {one:.1f} | {two:.1f} | {two / one:.2f}x |", flush=True)


if __name__ == "__main__":
  main()
