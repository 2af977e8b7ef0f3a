"""The kinds of invertible 1x1 convolution by the names `GlowConfig.permutation` takes."""

import tensorflow as tf

from glow_tf.bijectors.channel_permutation import ReversedChannels, ShuffledChannels
from glow_tf.bijectors.dense_1x1_conv import Dense1x1Conv
from glow_tf.bijectors.lu_1x1_conv import LUDecomposed1x1Conv
from glow_tf.config import PERMUTATIONS

# Keyed like config.PERMUTATIONS (a test holds the two together; config.py stays free of TensorFlow).
KINDS = {"lu": LUDecomposed1x1Conv, "conv": Dense1x1Conv, "shuffle": ShuffledChannels, "reverse": ReversedChannels}


def make_invertible_1x1_conv(channels, permutation="lu", seed=None, dtype=tf.float32, name="invertible_1x1_conv"):
  """The invertible 1x1 convolution of kind `permutation` (one of `config.PERMUTATIONS`)."""
  if permutation not in KINDS:
    raise ValueError(f"Unknown permutation {permutation!r}; choose one of {', '.join(map(repr, PERMUTATIONS))}.")
  return KINDS[permutation](channels, seed=seed, dtype=dtype, name=name)
