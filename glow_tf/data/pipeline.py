"""`make_pipeline`: batches of dequantised model-space images (and labels) that keep the training step fed."""

import math

import numpy as np
import tensorflow as tf

from glow_tf.data import folder
from glow_tf.data.info import ImageSizeError
from glow_tf.data.registry import dataset_info, load_pixels
from glow_tf.pixels import preprocess

# Splits whose decoded pixels take at most this many bytes are cached in memory after the first pass
# (CelebA's 162770 training faces at 64x64 take 2.0 GB, and are cached).
CACHE_BUDGET_BYTES = 2**31
# Examples a training shuffle draws from: ~120 MB of 64x64 faces, well mixed for a dataset tfds already
# stores in shuffled order.
SHUFFLE_BUFFER = 10_000


def make_pipeline(name, config, split="train", batch_size=64, training=True, seed=0, data_dir=None,
                  with_labels=False, repeat=None, cache=None, shard=(1, 0)):
  """Batches of model-space images from a dataset, for training or deterministic evaluation.

  Pixels become model space by `pixels.preprocess` with `config.pixel_levels` and `config.n_bins`, plus
  uniform dequantisation noise. Example i (counted from the start of the pipeline, across epochs) gets the
  noise of the stateless seed `(seed, i)`: fresh noise every epoch, and the same batches, noise included,
  every time a pipeline is built with the same arguments. Shard k of n counts its examples i = k, k + n, ...,
  so no two shards share noise.

  Args:
    name: one of `DATASET_NAMES`, or `"folder:PATH"`.
    config: the `GlowConfig` of the model the batches are for; its image shape, pixel levels and (with
      labels) number of classes must match the dataset's.
    split: the split to read (see `load_pixels`).
    batch_size: examples per batch.
    training: if True, examples are shuffled (reshuffled every epoch) and the last partial batch of an
      epoch is dropped, so every batch has `batch_size` examples; if False, one pass in order, the last
      partial batch kept.
    seed: seeds the shuffle and the noise.
    data_dir: where tfds keeps its datasets.
    with_labels: yield `(x, labels)` instead of `x`: int32 class ids `[B]`, or float32 multi-hot
      attributes `[B, 40]` for celeb_a.
    repeat: whether to repeat forever; defaults to `training`.
    cache: keep decoded pixels in memory after the first pass; None caches a split whose pixels fit in
      `CACHE_BUDGET_BYTES`.
    shard: `(n, k)`: read only every n-th example, from the k-th on (one worker's share of a multi-worker
      run: shards are disjoint and together hold the split), and shuffle within it.

  Returns:
    A `tf.data.Dataset` of `config.dtype` images `[B, H, W, C]` in [-0.5, 0.5], or of `(images, labels)`.
  """
  info = _checked_info(name, config, with_labels)
  keys = ("image", "label") if with_labels else ("image",)
  num_shards, shard_index = shard
  if not 0 <= shard_index < num_shards:
    raise ValueError(f"shard must be (n, k) with 0 <= k < n, got {shard!r}.")
  height, _, channels = info.image_shape
  pixels = load_pixels(name, split, height, data_dir, channels).map(lambda ex: {k: ex[k] for k in keys})
  pixels = pixels.shard(num_shards, shard_index)
  if _fits_in_memory(pixels, info, split, num_shards) if cache is None else cache:
    pixels = pixels.cache()
  if training:
    pixels = pixels.shuffle(_shuffle_buffer(pixels), seed=seed, reshuffle_each_iteration=True)
  if training if repeat is None else repeat:
    pixels = pixels.repeat()

  dtype = tf.as_dtype(config.dtype)

  def to_model_space(index, example):
    noise_seed = tf.stack([tf.constant(seed, tf.int64), index * num_shards + shard_index])
    x = preprocess(example["image"], config.pixel_levels, config.n_bins, dtype, noise_seed)
    return (x, example["label"]) if with_labels else x

  examples = pixels.enumerate().map(to_model_space, num_parallel_calls=tf.data.AUTOTUNE)
  return examples.batch(batch_size, drop_remainder=training).prefetch(tf.data.AUTOTUNE)


def _checked_info(name, config, with_labels):
  """The dataset's info at the config's image size, or an error saying how to make the two agree."""
  height, width, channels = config.image_shape
  if height != width:
    raise ValueError(f"config.image_shape {config.image_shape} is not square; every dataset here is.")
  try:
    # A folder's images are converted to the model's channels; any other dataset's must match them (below).
    info = dataset_info(name, image_size=height, channels=channels if folder.is_folder(name) else None)
  except ImageSizeError as error:
    raise ImageSizeError(
        f"config.image_shape {config.image_shape} does not fit {name}: {error} Build the config from "
        f"data.dataset_info({name!r}, image_size).image_shape, e.g. {dataset_info(name).image_shape}.") from None
  if info.image_shape != config.image_shape:
    raise ValueError(
        f"{name} images at image_size {height} are {info.image_shape}, but config.image_shape is "
        f"{config.image_shape}; build the config with image_shape={info.image_shape}.")
  if info.pixel_levels != config.pixel_levels:
    raise ValueError(
        f"{name} pixels take {info.pixel_levels} values, but config.pixel_levels is {config.pixel_levels}; "
        f"build the config with pixel_levels={info.pixel_levels} (data.dataset_info({name!r}).pixel_levels).")
  if with_labels and not info.num_classes:
    raise ValueError(f"{name} has no labels; train an unconditional model (num_classes=0) without labels.")
  if with_labels and config.num_classes != info.num_classes:
    kind = "attributes" if info.multi_label else "classes"
    raise ValueError(
        f"{name} has {info.num_classes} {kind}, but config.num_classes is {config.num_classes}; build the "
        f"config with num_classes={info.num_classes} to condition on them.")
  return info


def _fits_in_memory(pixels, info, split, num_shards):
  examples = int(pixels.cardinality())
  if examples == tf.data.INFINITE_CARDINALITY:
    return False
  if examples == tf.data.UNKNOWN_CARDINALITY:
    # Readers that skip undecodable images cannot know their count in advance; the split's size bounds it.
    sizes = {info.train_split: info.num_train, info.test_split: info.num_test,
             "all": (info.num_train or 0) + (info.num_test or 0)}
    if not sizes.get(split):
      return False
    examples = math.ceil(sizes[split] / num_shards)
  return examples * int(np.prod(info.image_shape)) <= CACHE_BUDGET_BYTES


def _shuffle_buffer(pixels):
  examples = int(pixels.cardinality())
  return min(examples, SHUFFLE_BUFFER) if examples > 0 else SHUFFLE_BUFFER
