"""An hour of training with the digits defaults, watching for numerical trouble (not part of CI).

    python bench/long_run.py [--minutes=60] [--model_dir=runs/long_run]

Trains in segments of --segment_steps, each in a fresh process resuming from the checkpoint (so resuming is
exercised too, and no process outlives its segment's traced graphs), and after each segment records train and test bits/dim, the count of skipped non-finite steps, the
encode/decode round-trip error on the test split and the worst 1x1 convolution condition number. Writes
bench/LONG_RUN.md (a table) and bench/long_run.png (the bits/dim curves).
"""

import concurrent.futures
import multiprocessing
import os
import platform
import time

import tensorflow as tf
from absl import app, flags, logging


from glow_tf import Glow, GlowConfig, data, training  # pylint: disable=g-import-not-at-top
from glow_tf.health import mixing_condition_numbers, reconstruction_error  # pylint: disable=g-import-not-at-top
from plots import line_chart  # pylint: disable=g-import-not-at-top

flags.DEFINE_float("minutes", 60, "How long to train.")
flags.DEFINE_string("model_dir", "runs/long_run", "Run directory (resumed if it exists).")
flags.DEFINE_integer("segment_steps", 1000, "Steps between measurements.")
FLAGS = flags.FLAGS
HERE = os.path.dirname(os.path.abspath(__file__))


def run_segment(steps, segment_steps, model_dir):
  """Trains the digits defaults up to `steps` and measures the result; runs in a child process."""
  logging.set_verbosity(logging.ERROR)
  defaults = training.dataset_defaults("digits")
  model_fields, run_fields = defaults.model, defaults.training
  config = GlowConfig(**model_fields)
  run = training.TrainConfig(**{**run_fields, "model_dir": model_dir, "steps": steps, "eval_every": segment_steps,
                                "sample_every": 0, "checkpoint_every": segment_steps})
  result = training.train(config, run, log=lambda _: None)
  glow = Glow(config)
  tf.train.Checkpoint(model=glow).restore(result.checkpoint).expect_partial()
  test = next(iter(data.make_pipeline("digits", config, "test", batch_size=512, training=False)))
  return dict(step=result.step, train=result.train_bits_per_dim, test=result.test_bits_per_dim,
              skipped=result.skipped_steps, error=reconstruction_error(glow, test),
              condition=max(mixing_condition_numbers(glow)))


def plot(rows, path):
  """Train and test bits/dim against step."""
  line_chart([r["step"] for r in rows], {"train": [r["train"] for r in rows], "test": [r["test"] for r in rows]},
             path, "bits/dim {low:.3f} .. {high:.3f} over steps {x_low:.0f} .. {x_high:.0f}")


def main(argv):
  del argv
  start, rows, step = time.perf_counter(), [], 0
  spawn = multiprocessing.get_context("spawn")
  while time.perf_counter() - start < FLAGS.minutes * 60:
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
      row = pool.submit(run_segment, step + FLAGS.segment_steps, FLAGS.segment_steps, FLAGS.model_dir).result()
    step = row["step"]
    rows.append(dict(row, minutes=(time.perf_counter() - start) / 60))
    print(rows[-1], flush=True)
  lines = ["# Long run: digits defaults", "",
           f"`python bench/long_run.py --minutes={FLAGS.minutes:g}` on {platform.processor() or platform.machine()}, "
           f"{os.cpu_count()} cores, TensorFlow {tf.__version__}.", "",
           "| step | minutes | train bits/dim | test bits/dim | skipped steps | max round-trip error | worst 1x1 cond |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
  lines += [f"| {r['step']} | {r['minutes']:.1f} | {r['train']:.4f} | {r['test']:.4f} | {r['skipped']} | "
            f"{r['error']:.2e} | {r['condition']:.2f} |" for r in rows]
  with open(os.path.join(HERE, "LONG_RUN.md"), "w") as f:
    f.write("\n".join(lines) + "\n\n![bits/dim curves](long_run.png)\n")
  plot(rows, os.path.join(HERE, "long_run.png"))


if __name__ == "__main__":
  app.run(main)
