"""A tiny model exported in-process, for the tests of the SavedModel signatures (fixtures in conftest.py)."""

import numpy as np
import tensorflow as tf

from glow_tf import Glow, GlowConfig, preprocess
from glow_tf.export import export_saved_model
from tests.helpers import randomize

TINY = dict(image_shape=(8, 8, 1), levels=2, steps_per_level=2, hidden_channels=8, pixel_levels=17)
SHAPE = TINY["image_shape"]
SEED = tf.constant([3, 4])


def trained_glow(**fields):
  """A tiny model with ActNorm initialised from data and every other parameter nudged off its zero start."""
  config = GlowConfig(**TINY, **fields)
  glow = Glow(config)
  pixels = np.random.default_rng(0).integers(0, config.pixel_levels, [32, *SHAPE])
  glow.initialize(preprocess(pixels, config.pixel_levels, config.n_bins, noise_seed=tf.constant([0, 0])))
  randomize(glow, scale=0.05)
  return glow


def pixels(batch=4, seed=1):
  """uint8 digits-like pixels [batch, 8, 8, 1] in [0, 17)."""
  return tf.constant(np.random.default_rng(seed).integers(0, 17, [batch, *SHAPE]), tf.uint8)


def export_tiny(export_dir, **fields):
  """(the model, its loaded SavedModel's signatures, the version directory) for a `trained_glow(**fields)`."""
  glow = trained_glow(**fields)
  path = export_saved_model(glow, export_dir, 1)
  return glow, tf.saved_model.load(path).signatures, path
