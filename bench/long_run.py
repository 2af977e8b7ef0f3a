"""An hour of training with the digits defaults in one process, watching for numerical trouble, memory growth and
retracing (not part of CI).

    python bench/long_run.py [--minutes=60] [--model_dir=runs/long_run] [--every=1000]

Trains past the preset's end, as one `training.train` call in this process (what `train.py` runs), with an
evaluation, a sample grid and a checkpoint every --every steps, until --minutes have passed (then stops it as
Ctrl-C would). At each evaluation it records train and test bits/dim, the skipped non-finite steps, the
encode/decode round-trip error on the test split, the worst 1x1 convolution condition number, the process's RSS
and how many graphs TensorFlow has traced so far (tf.function's and tf.data's; tfp.bijectors.Glow users report
memory growing with steps, tensorflow/probability#1177). Writes bench/LONG_RUN.md (a table) and
bench/long_run.png (the bits/dim curves).
"""

import argparse
import os
import signal
import threading
import time

from absl import logging

from glow_tf import GlowConfig, data, training  # pylint: disable=g-import-not-at-top
from glow_tf.health import mixing_condition_numbers, reconstruction_error  # pylint: disable=g-import-not-at-top
from glow_tf.tracing import TraceCounter  # pylint: disable=g-import-not-at-top
from common import line_chart, machine  # pylint: disable=g-import-not-at-top

HERE = os.path.dirname(os.path.abspath(__file__))


def rss_mb():
  with open("/proc/self/status") as status:
    return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))


class Recorder:
  """`on_step` for `training.train`: one row per evaluation. The health checks' own traces are not the run's."""

  def __init__(self, config, traces, start):
    self.rows, self.traces, self.start = [], traces, start
    self.test = next(iter(data.make_pipeline("digits", config, "test", batch_size=512, training=False)))
    self.health_traces = 0

  def __call__(self, progress):
    if progress.evaluated_step != progress.step:
      return
    with TraceCounter() as health:
      error = reconstruction_error(progress.glow, self.test)
      condition = max(mixing_condition_numbers(progress.glow))
    self.health_traces += health.total
    self.rows.append(dict(step=progress.step, minutes=(time.perf_counter() - self.start) / 60,
                          train=progress.train_bits_per_dim, test=progress.test_bits_per_dim,
                          skipped=progress.skipped_steps, error=error, condition=condition, rss=rss_mb(),
                          traces=self.traces.total - self.health_traces))
    print(self.rows[-1], flush=True)


def plot(rows, path):
  """Train and test bits/dim against step."""
  line_chart([r["step"] for r in rows], {"train": [r["train"] for r in rows], "test": [r["test"] for r in rows]},
             path, "bits/dim {low:.3f} .. {high:.3f} over steps {x_low:.0f} .. {x_high:.0f}")


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--minutes", type=float, default=60, help="how long to train")
  parser.add_argument("--model_dir", default="runs/long_run", help="run directory (resumed if it exists)")
  parser.add_argument("--every", type=int, default=1000,
                      help="steps between evaluations, sample grids, checkpoints and measurements")
  return parser.parse_args()


def main():
  args = parse_args()
  logging.set_verbosity(logging.ERROR)
  defaults = training.dataset_defaults("digits")
  config = GlowConfig(**defaults.model)
  run = training.TrainConfig(**{**defaults.training, "model_dir": args.model_dir, "steps": 10**9,
                                "eval_every": args.every, "sample_every": args.every,
                                "checkpoint_every": args.every, "patience": 0})
  start = time.perf_counter()
  # The run's own stop: the signal train.py users send, which checkpoints and returns.
  timer = threading.Timer(args.minutes * 60, os.kill, (os.getpid(), signal.SIGINT))
  timer.daemon = True
  timer.start()
  with TraceCounter() as traces:
    recorder = Recorder(config, traces, start)
    training.train(config, run, log=lambda _: None, on_step=recorder)
  rows = recorder.rows
  lines = ["# Long run: digits defaults, one process", "",
           f"`python bench/long_run.py --minutes={args.minutes:g} --every={args.every}` on {machine()}. "
           f"Evaluation, sample grid and checkpoint every {args.every} steps; RSS and graphs traced so far at each.",
           "",
           "| step | minutes | train bits/dim | test bits/dim | skipped steps | max round-trip error | worst 1x1 cond "
           "| RSS (MB) | graphs traced |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
  lines += [f"| {r['step']} | {r['minutes']:.1f} | {r['train']:.4f} | {r['test']:.4f} | {r['skipped']} | "
            f"{r['error']:.2e} | {r['condition']:.2f} | {r['rss']:.0f} | {r['traces']} |" for r in rows]
  with open(os.path.join(HERE, "LONG_RUN.md"), "w") as f:
    f.write("\n".join(lines) + "\n\n![bits/dim curves](long_run.png)\n")
  plot(rows, os.path.join(HERE, "long_run.png"))


if __name__ == "__main__":
  main()
