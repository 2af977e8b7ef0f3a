"""The kinds of invertible 1x1 convolution by the names `GlowConfig.permutation` takes."""

import tensorflow as tf

from glow_tf.bijectors.channel_permutation import ReversedChannels, ShuffledChannels
from glow_tf.bijectors.dense_1x1_conv import Dense1x1Conv
from glow_tf.bijectors.lu_1x1_conv import LUDecomposed1x1Conv
from glow_tf.choices import PERMUTATIONS, check_choice

# Keyed like choices.PERMUTATIONS (a test holds the two together; choices.py stays free of TensorFlow).
KINDS = {"lu": LUDecomposed1x1Conv, "conv": Dense1x1Conv, "shuffle": ShuffledChannels, "reverse": ReversedChannels}


def make_invertible_1x1_conv(channels, permutation="lu", seed=None, dtype=tf.float32, name="invertible_1x1_conv"):
  """The invertible 1x1 convolution of kind `permutation` (one of `choices.PERMUTATIONS`)."""
  check_choice("permutation", permutation, PERMUTATIONS)
  return KINDS[permutation](channels, seed=seed, dtype=dtype, name=name)
