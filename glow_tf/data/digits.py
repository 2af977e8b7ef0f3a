"""`digits`: scikit-learn's 8x8 handwritten digits, shipped with scikit-learn: the dataset that needs no download.

The 1797 images have 17 grey levels (0..16), modelled as such (`pixel_levels=17`). The split is fixed: the first
1500 images train and the last 297 test (each split holds every digit in near-equal numbers, as the images
cycle through the classes).
"""

import functools

import numpy as np
import tensorflow as tf

from glow_tf.data.info import Architecture, DatasetInfo, resolve_image_size

NAME = "digits"
IMAGE_SIZE = 8
PIXEL_LEVELS = 17
NUM_TRAIN = 1500
NUM_TEST = 297
SPLITS = ("train", "test", "all")
# Trains in minutes on a laptop CPU. 1500 images are overfitted within a few hundred steps, so depth and width only
# pay with weight decay, and the run ends on a cosine decay. Test bits/dim, best over evaluations every 250 steps
# (`python train.py --steps=S --eval_every=250 --sample_every=0 --noexport` + flags, AMD EPYC, 2 cores):
# K=8, W=64 alone: 2.385 (1000 steps); with weight decay 0.1 and cosine: 2.386 (2000). K=16, W=128, weight decay
# 0.5, cosine: 2.292 (1000 steps, 2.304 at the end), 2.268 (2000). Weight decay 2 ruins it (2.74); W=256 overfits
# by step 750 (2.312); K=32, W=64 is as good (2.264) at 1.5x the time a step; W=32 or K=4 are worse (2.41, 2.49).
# XLA, which fast_path would choose for 1000 steps of it, compiles for longer than it saves early on: a train.py
# process with one step took 73 s against the graph's 30 s, then 8.7 against 5.2 steps/s (medians of 2,
# alternating), so it pays back after 560 steps, and bench/quality.py found it still at its first step at 0:50
# (4.260 test bits/dim) where the graph was 121 steps in (2.736). With the warm-up cut from 100 steps to 25,
# 2.653 at 0:50 and 2.315 at the end, as with 100 (bench/quality/digits_5min.md).
ARCHITECTURE = Architecture(levels=2, steps_per_level=16, hidden_channels=128, coupling="affine")
TRAINING = dict(weight_decay=0.5, learning_rate_decay="cosine", warmup_steps=25, xla=False)


def info(image_size=None):
  size = resolve_image_size(NAME, image_size, IMAGE_SIZE, choices=(IMAGE_SIZE,))
  return DatasetInfo(
      name=NAME,
      image_shape=(size, size, 1),
      pixel_levels=PIXEL_LEVELS,
      num_classes=10,
      label_names=tuple(str(digit) for digit in range(10)),
      multi_label=False,
      default_n_bits=8,
      train_split="train",
      test_split="test",
      num_train=NUM_TRAIN,
      num_test=NUM_TEST,
      measured_architecture=ARCHITECTURE,
      measured_training=TRAINING)


def load(split, image_size=None):
  """Unbatched `{'image': uint8 [8, 8, 1] in 0..16, 'label': int32 []}` of `split` ('train', 'test' or 'all')."""
  info(image_size)  # Checks the size.
  images, labels = _arrays()
  rows = {"train": slice(0, NUM_TRAIN), "test": slice(NUM_TRAIN, None), "all": slice(None)}
  if split not in rows:
    raise ValueError(f"Unknown split {split!r} for {NAME}; choose one of {', '.join(map(repr, SPLITS))}.")
  return tf.data.Dataset.from_tensor_slices({"image": images[rows[split]], "label": labels[rows[split]]})


@functools.lru_cache(maxsize=1)
def _arrays():
  # Imported here: scikit-learn is only needed by whoever asks for digits.
  from sklearn.datasets import load_digits
  digits = load_digits()
  images = digits.images.astype(np.uint8)[..., np.newaxis]  # [1797, 8, 8, 1]
  return images, digits.target.astype(np.int32)
