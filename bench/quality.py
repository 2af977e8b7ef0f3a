"""Test bits/dim against wall-clock time: what `train.py --dataset=...` with no other flag gives, beside
tfp.bijectors.Glow and the two PyTorch ports, on the same data, at the same architecture, scored by one evaluator.

    pip install -r requirements.txt -r bench/requirements.txt
    git clone https://github.com/rosinality/glow-pytorch /tmp/rosinality
    git clone https://github.com/y0ast/Glow-PyTorch /tmp/y0ast
    python bench/quality.py --dataset=digits --minutes=5 --rosinality=/tmp/rosinality --y0ast=/tmp/y0ast
    python bench/quality.py --dataset=crops --minutes=30 ...   # RGB 32x32 crops of scikit-learn's sample images
    python bench/quality.py --dataset=folder:PATH ...          # your own folder

Every implementation runs alone, in a subprocess of its own, one after the other, for `--minutes` of wall clock
from the moment its model is built (tracing, compiling and ActNorm's initialisation count). At `--points` evenly
spaced times the clock stops while the evaluator scores the model as it stands: test bits/dim over the whole test
split under `--dequantisations` draws of dequantisation noise, `(-log p(x) + D log n_bins) / (D log 2)` from each
implementation's continuous log-density of the same noisy test images.

- glow_tf: the architecture and recipe that train.py's defaults give the dataset (`training.dataset_defaults`, the
  same `TrainConfig`), scored as train.py scores and exports it (the weights' average, if the recipe keeps one).
  Like train.py it stops at the recipe's last step: from then on its score is the finished model's.
  train.py's own periodic evaluations, sample grids and checkpoints are not run, nor are anyone else's; the ports
  and tfp train to the end of the budget (their recipes run far longer).
- tfp.bijectors.Glow and the ports: glow_tf's architecture (L, K, W, affine coupling, LU 1x1 convolution, learned
  top prior), each with its own repository's recipe: tfp Adam 1e-4 (its Glow example's), rosinality Adam 1e-4,
  y0ast Adamax 5e-4 with weight decay and 5 epochs of warm-up (bench/ports.py).
All read the same training batches (glow_tf's input pipeline, the same seed) and score the same test batches.
The table is printed, and written with a PNG of the curves to `--output_dir`.
"""

import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(BENCH))

import numpy as np  # pylint: disable=g-import-not-at-top
from common import line_chart, machine  # pylint: disable=g-import-not-at-top

IMPLEMENTATIONS = ("glow_tf", "tfp", "rosinality", "y0ast")
CROP_SIZE, TEST_COLUMNS_FROM = 32, 512  # Test crops lie right of x = 512 in both sample images, train crops left.


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--dataset", default="digits", help="digits, crops, or folder:PATH")
  parser.add_argument("--minutes", type=float, default=5.0, help="wall-clock budget of each implementation")
  parser.add_argument("--points", type=int, default=6, help="evaluations per run, evenly spaced in time")
  parser.add_argument("--dequantisations", type=int, default=4, help="noise draws over the test split")
  parser.add_argument("--implementations", default=",".join(IMPLEMENTATIONS), help="comma-separated subset")
  parser.add_argument("--rosinality", help="a checkout of rosinality/glow-pytorch (skipped without one)")
  parser.add_argument("--y0ast", help="a checkout of y0ast/Glow-PyTorch (skipped without one)")
  parser.add_argument("--crops_dir", default=os.path.join(tempfile.gettempdir(), "glow_tf_crops"),
                      help="where --dataset=crops writes its folder")
  parser.add_argument("--output_dir", default=os.path.join(BENCH, "quality"),
                      help="where the table (markdown) and the curves (PNG) of this dataset and budget are written, "
                      "replacing the last ones; empty to print only")
  parser.add_argument("--worker", choices=IMPLEMENTATIONS, help=argparse.SUPPRESS)
  return parser.parse_args()


def write_crops_folder(directory):
  """RGB 32x32 crops of scikit-learn's two sample photos as a glow_tf folder, split by position: test crops from
  x >= 512, train crops from x + 32 <= 512, so no test pixel is ever trained on. glow_tf's folders test on images
  0, 10, 20, ... of the sorted names, so the names put every test crop there and nine train crops after each."""
  from PIL import Image  # pylint: disable=g-import-not-at-top
  from sklearn.datasets import load_sample_images  # pylint: disable=g-import-not-at-top
  photos = load_sample_images().images
  test = [photo[y:y + CROP_SIZE, x:x + CROP_SIZE] for photo in photos
          for y in range(0, photo.shape[0] - CROP_SIZE + 1, 16)
          for x in range(TEST_COLUMNS_FROM, photo.shape[1] - CROP_SIZE + 1, 16)]
  train = [photo[y:y + CROP_SIZE, x:x + CROP_SIZE] for photo in photos
           for y in range(0, photo.shape[0] - CROP_SIZE + 1, 8)
           for x in range(0, TEST_COLUMNS_FROM - CROP_SIZE + 1, 8)]
  train = [train[i] for i in np.linspace(0, len(train) - 1, 9 * len(test)).round().astype(int)]
  os.makedirs(directory, exist_ok=True)
  for j, crop in enumerate(test):
    Image.fromarray(crop).save(os.path.join(directory, f"{j:05d}_0.png"))
    for k in range(9):
      Image.fromarray(train[9 * j + k]).save(os.path.join(directory, f"{j:05d}_{k + 1}.png"))
  return f"folder:{directory}"


def test_bits_per_dim(log_prob, test_sets, num_dims, n_bins):
  """The evaluator every implementation is scored by: mean bits/dim over every image of every noise draw.

  Args:
    log_prob: numpy [B, H, W, C] model-space images -> numpy [B] continuous log-densities in nats.
    test_sets: lists of numpy batches, one list per dequantisation.
  """
  nats = np.concatenate([np.asarray(log_prob(x), np.float64) for batches in test_sets for x in batches])
  return float(np.mean((-nats + num_dims * math.log(n_bins)) / (num_dims * math.log(2.0))))


class GlowTf:
  """train.py's defaults for the dataset, through the library train.py runs."""

  def __init__(self, glow_config, train_config, first_batches):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    from glow_tf.training import Trainer  # pylint: disable=g-import-not-at-top
    self.trainer = Trainer(glow_config, train_config)
    self.trainer.initialize(first_batches)
    self._log_prob = tf.function(self.trainer.glow.log_prob)
    decay = "cosine decay" if train_config.learning_rate_decay == "cosine" else "constant rate"
    self.recipe = (f"train.py's defaults: {train_config.optimizer} {train_config.learning_rate:g}, warm-up "
                   f"{train_config.warmup_steps}, {decay}, {train_config.steps} steps, weight decay "
                   f"{train_config.weight_decay:g}, EMA {train_config.ema_decay:g}")

  def train_step(self, x):
    self.trainer.train_step(x)

  def finished(self, steps):
    return steps >= self.trainer.train_config.steps

  def evaluation(self):
    return self.trainer.averaged_weights()

  def log_prob(self, x):
    return self._log_prob(x).numpy()


class _Unending:
  """An implementation whose recipe outlasts any budget here."""

  def finished(self, steps):
    del steps
    return False


class Tfp(_Unending):
  """tfp.bijectors.Glow as common.Tfp builds it, with Adam 1e-4."""

  def __init__(self, glow_config, batch_size, first_batches):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    from common import Tfp as TfpGlow  # pylint: disable=g-import-not-at-top
    size, _, channels = glow_config.image_shape
    self.model = TfpGlow(size, glow_config.levels, glow_config.steps_per_level, glow_config.hidden_channels,
                         batch_size, glow_config.coupling, tf.constant(first_batches), optimizer="adam",
                         channels=channels)
    self.recipe = "Adam 1e-4"

  def train_step(self, x):
    self.model.train(x)

  def evaluation(self):
    return contextlib.nullcontext()

  def log_prob(self, x):
    return self.model.log_prob(x).numpy()


class Port(_Unending):
  """A PyTorch port through bench/ports.py; numpy in, numpy out."""

  def __init__(self, name, checkout, glow_config, steps_per_epoch, first_batches):
    from ports import PortModel  # pylint: disable=g-import-not-at-top
    self.model = PortModel(name, checkout, glow_config.image_shape, glow_config.levels, glow_config.steps_per_level,
                           glow_config.hidden_channels, affine=glow_config.coupling == "affine",
                           n_bins=glow_config.n_bins, steps_per_epoch=steps_per_epoch)
    self.model.initialize(first_batches)
    self.recipe = "Adam 1e-4" if name == "rosinality" else "Adamax 5e-4, wd 5e-5, warm-up 5 epochs"

  def train_step(self, x):
    self.model.train_step(x)

  def evaluation(self):
    return contextlib.nullcontext()

  def log_prob(self, x):
    return self.model.log_prob(x)


def run_worker(args):
  """Trains one implementation for the budget; prints {recipe, steps, points: [[seconds, steps, bits/dim]]}."""
  if args.worker == "glow_tf":
    from glow_tf import startup  # pylint: disable=g-import-not-at-top
    startup.import_tensorflow()  # As train.py starts TensorFlow: oneDNN's kernels on.
  from glow_tf import GlowConfig, data  # pylint: disable=g-import-not-at-top
  from glow_tf.training import TrainConfig, dataset_defaults  # pylint: disable=g-import-not-at-top
  defaults = dataset_defaults(args.dataset)
  glow_config = GlowConfig(**defaults.model)
  train_config = TrainConfig(**defaults.training, dataset=args.dataset)  # It writes nothing to its model_dir.
  batch = train_config.batch_size
  info = data.dataset_info(args.dataset)
  test_sets = [[x.numpy() for x in data.make_pipeline(args.dataset, glow_config, "test", batch, training=False,
                                                       seed=seed)] for seed in range(args.dequantisations)]
  batches = iter(data.make_pipeline(args.dataset, glow_config, "train", batch, training=True, seed=0))
  steps_per_epoch = math.ceil(info.num_train / batch)
  start = time.perf_counter()
  # What each initialises ActNorm from, as its own training script does: glow_tf `init_batch_size` images, tfp
  # and rosinality the first batch, y0ast 8 batches.
  if args.worker == "glow_tf":
    first = next(iter(data.make_pipeline(args.dataset, glow_config, "train", train_config.init_batch_size,
                                         training=True, seed=0)))
    model = GlowTf(glow_config, train_config, first)
  elif args.worker == "tfp":
    model = Tfp(glow_config, batch, next(batches))
  else:
    first = np.concatenate([next(batches).numpy() for _ in range(8 if args.worker == "y0ast" else 1)])
    model = Port(args.worker, getattr(args, args.worker), glow_config, steps_per_epoch, first)
  budget, points, steps, paused, scored, trained_for = args.minutes * 60, [], 0, 0.0, {}, 0.0
  for point in range(1, args.points + 1):
    while time.perf_counter() - start - paused < budget * point / args.points and not model.finished(steps):
      model.train_step(next(batches))
      steps += 1
      trained_for = time.perf_counter() - start - paused
    stopped = time.perf_counter()
    if steps not in scored:  # A finished model scores what it scored.
      with model.evaluation():
        scored[steps] = test_bits_per_dim(model.log_prob, test_sets, glow_config.num_dims, glow_config.n_bins)
    bpd = scored[steps]
    points.append([budget * point / args.points, steps, bpd])
    print(f"{args.worker} {budget * point / args.points / 60:.2f} min, step {steps}: {bpd:.3f}", file=sys.stderr)
    paused += time.perf_counter() - stopped
  print(json.dumps({"recipe": model.recipe, "steps": steps, "images_per_second": steps * batch / trained_for,
                    "points": points,
                    "architecture": {k: defaults.model[k] for k in ("image_shape", "levels", "steps_per_level",
                                                                    "hidden_channels", "coupling")}}))


def table(results):
  times = [seconds for seconds, _, _ in next(iter(results.values()))["points"]]
  header = ["implementation", "recipe", "steps", "images/s", *(f"{int(t // 60)}:{int(t % 60):02d}" for t in times)]
  rows = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
  for name, result in results.items():
    rows.append("| " + " | ".join([name, result["recipe"], str(result["steps"]), f"{result['images_per_second']:.0f}",
                                   *(f"{bpd:.3f}" for _, _, bpd in result["points"])]) + " |")
  return "\n".join(rows)


def main():
  args = parse_args()
  if args.dataset == "crops":
    args.dataset = write_crops_folder(args.crops_dir)
  if args.worker:
    return run_worker(args)
  chosen = [name for name in args.implementations.split(",") if name in ("glow_tf", "tfp") or getattr(args, name)]
  results = {}
  for name in chosen:
    command = [sys.executable, os.path.abspath(__file__), f"--worker={name}", f"--dataset={args.dataset}",
               f"--minutes={args.minutes}", f"--points={args.points}", f"--dequantisations={args.dequantisations}",
               *(f"--{port}={getattr(args, port)}" for port in ("rosinality", "y0ast") if getattr(args, port))]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    results[name] = json.loads(done.stdout.strip().splitlines()[-1])
  architecture = next(iter(results.values()))["architecture"]
  title = (f"{args.dataset}, {args.minutes:g} minutes each, test bits/dim ({args.dequantisations} dequantisations); "
           f"{architecture}; {machine()}; python bench/quality.py --dataset={args.dataset} --minutes={args.minutes:g}")
  text = f"{title}\n\n{table(results)}\n"
  print(text)
  if args.output_dir:
    os.makedirs(args.output_dir, exist_ok=True)
    stem = os.path.join(args.output_dir, f"{os.path.basename(args.dataset.rstrip('/')).replace(':', '_')}_"
                                         f"{args.minutes:g}min")
    minutes = [seconds / 60 for seconds, _, _ in next(iter(results.values()))["points"]]
    line_chart(minutes, {name: [bpd for _, _, bpd in r["points"]] for name, r in results.items()}, stem + ".png",
               "test bits/dim ({low:.2f}-{high:.2f}) against minutes of training (" + args.dataset + ")")
    with open(stem + ".md", "w") as f:
      f.write(f"{text}\n![curves]({os.path.basename(stem)}.png)\n")


if __name__ == "__main__":
  main()
