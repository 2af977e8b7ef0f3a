"""Is the input pipeline ever what the training step waits on? Every reader of CelebA-shaped data, side by side.

Prints the images/s of `glow_tf.data.make_pipeline` at 64x64 on CelebA-shaped examples (218x178 JPEGs, decoded
per example) from each reader, beside the images/s of a training step of the default CelebA model (64x64x3, L=4,
K=32, W=512, additive, 5 bits), and their ratio:
- celeb_a through the real tfds loading code under `tfds.testing.mock_data` (tfds's prepared copy);
- celeb_a from its original files, in the authors' layout (.txt lists) and the Kaggle mirror's (.csv lists);
- folder:PATH class folders (4 classes), in colour and in grayscale (at 1 channel).
Each figure is the median of `--repeats` timings; the files are written to a temporary directory first.

  python bench/input_pipeline.py                      # ~8 minutes on 2 CPU cores
  python bench/input_pipeline.py --steps_per_level 4  # a quicker, smaller model
"""

import argparse
import contextlib
import dataclasses
import os
import pathlib
import statistics
import tempfile
import time
from unittest import mock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from glow_tf import Glow, GlowConfig, data
from glow_tf.data import celeb_a_files
from glow_tf.data.tfds_datasets import CELEB_A_ATTRIBUTES

CELEB_A_SHAPE = (218, 178, 3)


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--batch_size", type=int, default=8, help="training step batch (64 is slow on 2 CPUs)")
  parser.add_argument("--steps", type=int, default=3, help="training steps per timing")
  parser.add_argument("--repeats", type=int, default=3, help="timings; the median is reported")
  parser.add_argument("--levels", type=int, default=4)
  parser.add_argument("--steps_per_level", type=int, default=32)
  parser.add_argument("--hidden_channels", type=int, default=512)
  parser.add_argument("--pipeline_examples", type=int, default=2048, help="examples in the mock CelebA split")
  parser.add_argument("--pipeline_batch_size", type=int, default=64)
  return parser.parse_args()


def celeb_a_jpegs(distinct=64, seed=0):
  """JPEGs of smooth random 218x178 images: they compress and decode like photos, unlike pixel noise."""
  rng = np.random.default_rng(seed)
  coarse = rng.uniform(0, 255, size=(distinct, 14, 12, 3)).astype(np.float32)
  smooth = tf.image.resize(coarse, CELEB_A_SHAPE[:2], method="bicubic")
  noisy = smooth + rng.normal(0, 4, size=smooth.shape).astype(np.float32)
  images = tf.cast(tf.clip_by_value(noisy, 0, 255), tf.uint8)
  return [tf.io.encode_jpeg(image, quality=90) for image in images]


@contextlib.contextmanager
def mock_celeb_a(num_examples):
  """tfds.load("celeb_a") as `num_examples` CelebA-shaped examples, their JPEGs decoded per example."""
  jpegs = tf.stack(celeb_a_jpegs())
  rng = np.random.default_rng(1)
  attributes = {name: rng.random(num_examples) < 0.3 for name in CELEB_A_ATTRIBUTES}

  def as_dataset(self, split, **kwargs):
    del self, split, kwargs
    examples = tf.data.Dataset.from_tensor_slices(
        {"jpeg": tf.gather(jpegs, np.arange(num_examples) % len(jpegs)), "attributes": attributes})

    def decode(example):
      image = tf.io.decode_jpeg(example["jpeg"], channels=3)
      image.set_shape(CELEB_A_SHAPE)
      return {"image": image, "attributes": example["attributes"]}

    return examples.map(decode, num_parallel_calls=tf.data.AUTOTUNE)

  # mock_data leaves is_prepared() False; glow_tf asks it before reading, so it is told the data is there.
  with tfds.testing.mock_data(as_dataset_fn=as_dataset), \
       mock.patch.object(tfds.core.DatasetBuilder, "is_prepared", return_value=True):
    yield


def write_celeb_a_files(root, num_examples, layout):
  """CelebA's original files for `num_examples` images: the authors' layout (.txt) or the Kaggle mirror's (.csv)."""
  kaggle = layout == "kaggle"
  images = root / celeb_a_files.IMAGE_FOLDER
  images = images / celeb_a_files.IMAGE_FOLDER if kaggle else images
  images.mkdir(parents=True)
  jpegs = celeb_a_jpegs()
  rng = np.random.default_rng(1)
  names = [f"{i + 1:06d}.jpg" for i in range(num_examples)]
  for i, name in enumerate(names):
    (images / name).write_bytes(jpegs[i % len(jpegs)].numpy())
  values = np.where(rng.random((num_examples, len(CELEB_A_ATTRIBUTES))) < 0.3, "1", "-1")
  separator, extension = ("," if kaggle else " "), (".csv" if kaggle else ".txt")
  header = ["image_id,partition"] if kaggle else []
  rows = [separator.join([name, "0"]) for name in names]
  (root / (celeb_a_files.PARTITION_LIST + extension)).write_text("\n".join(header + rows) + "\n")
  header = [",".join(["image_id", *CELEB_A_ATTRIBUTES])] if kaggle else [str(num_examples), " ".join(CELEB_A_ATTRIBUTES)]
  rows = [separator.join([name, *row]) for name, row in zip(names, values)]
  (root / (celeb_a_files.ATTRIBUTE_LIST + extension)).write_text("\n".join(header + rows) + "\n")


def write_class_folders(root, num_examples, grayscale, classes=4):
  jpegs = celeb_a_jpegs()
  if grayscale:
    jpegs = [tf.io.encode_jpeg(tf.image.rgb_to_grayscale(tf.io.decode_jpeg(j)), quality=90) for j in jpegs]
  for i in range(num_examples):
    folder = root / f"class{i % classes}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{i:06d}.jpg").write_bytes(jpegs[i % len(jpegs)].numpy())


@dataclasses.dataclass
class Reader:
  """One way of reading CelebA-shaped data: the dataset name, its data_dir, and the context it is read in."""

  label: str
  dataset: str
  data_dir: str = None
  channels: int = 3
  context: contextlib.AbstractContextManager = contextlib.nullcontext()


def readers(root, num_examples):
  """The readers to time, their files written under `root`."""
  for layout in ("authors", "kaggle"):
    write_celeb_a_files(root / layout, num_examples, layout)
  for name, grayscale in (("rgb", False), ("grey", True)):
    write_class_folders(root / name, num_examples, grayscale)
  return [
      Reader("celeb_a, tfds's prepared copy (mock_data)", "celeb_a", context=mock_celeb_a(num_examples)),
      Reader("celeb_a, original files (authors' .txt)", "celeb_a", str(root / "authors")),
      Reader("celeb_a, original files (Kaggle .csv)", "celeb_a", str(root / "kaggle")),
      Reader("folder:PATH, 4 class folders, RGB", f"folder:{root / 'rgb'}"),
      Reader("folder:PATH, 4 class folders, grayscale (1 channel)", f"folder:{root / 'grey'}", channels=1),
  ]


def pipeline_images_per_second(reader, config, args):
  """(first epoch, cached epochs) images/s of a conditional training pipeline, each the median over fresh ones."""
  config = dataclasses.replace(config, image_shape=(64, 64, reader.channels),
                               num_classes=data.dataset_info(reader.dataset, 64, reader.channels).num_classes)
  batches_per_epoch = args.pipeline_examples // args.pipeline_batch_size
  first, cached = [], []
  with reader.context:
    for repeat in range(args.repeats):
      batches = iter(data.make_pipeline(reader.dataset, config, batch_size=args.pipeline_batch_size, seed=repeat,
                                        data_dir=reader.data_dir, with_labels=True))
      for timings, epochs in ((first, 1), (cached, 2)):
        start = time.perf_counter()
        for _ in range(epochs * batches_per_epoch):
          next(batches)
        timings.append(epochs * batches_per_epoch * args.pipeline_batch_size / (time.perf_counter() - start))
  return statistics.median(first), statistics.median(cached)


def training_images_per_second(config, args):
  """Images/s of the training step: Adamax on the mean negative log-likelihood, in a tf.function."""
  glow = Glow(config)
  x = tf.random.uniform([args.batch_size, *config.image_shape], -0.5, 0.5, seed=0)
  glow.initialize(x)
  optimizer = keras.optimizers.Adamax(1e-3)
  optimizer.build(glow.trainable_variables)  # Not inside the traced step.

  @tf.function
  def train_step(x):
    with tf.GradientTape() as tape:
      loss = -tf.reduce_mean(glow.distribution.log_prob(x))
    optimizer.apply_gradients(zip(tape.gradient(loss, glow.trainable_variables), glow.trainable_variables))
    return loss

  start = time.perf_counter()
  train_step(x).numpy()
  print(f"(training step traced and run once in {time.perf_counter() - start:.0f} s)", flush=True)
  timings = []
  for _ in range(args.repeats):
    start = time.perf_counter()
    for _ in range(args.steps):
      loss = train_step(x)
    loss.numpy()
    timings.append(args.steps * args.batch_size / (time.perf_counter() - start))
  return statistics.median(timings)


def main():
  args = parse_args()
  config = GlowConfig(
      image_shape=(64, 64, 3), levels=args.levels, steps_per_level=args.steps_per_level,
      hidden_channels=args.hidden_channels, coupling="additive", n_bits=5)
  with tempfile.TemporaryDirectory() as root:
    rates = {reader.label: pipeline_images_per_second(reader, config, args)
             for reader in readers(pathlib.Path(root), args.pipeline_examples)}
  step = training_images_per_second(config, args)
  model = (f"batch {args.batch_size}, L={config.levels} K={config.steps_per_level} W={config.hidden_channels} "
           f"{config.coupling}, {config.n_bits} bits")
  print(f"\nCelebA-shaped data (218x178 JPEGs) at 64x64 on {os.cpu_count()} CPU cores, median of {args.repeats}; "
        f"training step: {model}, {step:.2f} images/s\n")
  print("| reader | first epoch (decode, crop, resize), images/s | cached epochs, images/s | "
        "first epoch / training step | cached / training step |")
  print("| --- | --- | --- | --- | --- |")
  for label, (first_epoch, cached) in rates.items():
    print(f"| {label} | {first_epoch:.0f} | {cached:.0f} | {first_epoch / step:.0f}x | {cached / step:.0f}x |")


if __name__ == "__main__":
  main()
