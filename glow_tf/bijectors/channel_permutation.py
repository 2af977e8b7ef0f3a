"""The paper's ablations of the invertible 1x1 convolution: a fixed random or reversing channel permutation."""

import numpy as np
import tensorflow as tf

from glow_tf.bijectors.invertible_1x1_conv import Invertible1x1Conv


class ChannelPermutation(Invertible1x1Conv):
  """W a fixed permutation, applied by gathering channels: log|det W| = 0. Subclasses choose the order."""

  is_channel_permutation = True

  def _make_variables(self, channels, rng, dtype):
    order = self._order(channels, rng)
    # Variables, so that a checkpoint restores the very permutation the model was trained with.
    self.channel_order = tf.Variable(order, dtype=tf.int32, trainable=False, name="channel_order")
    self.inverse_channel_order = tf.Variable(
        np.argsort(order), dtype=tf.int32, trainable=False, name="inverse_channel_order")

  def _order(self, channels, rng):
    raise NotImplementedError

  def conv_kernel(self):
    return tf.one_hot(self.inverse_channel_order, self.channel_order.shape[0], dtype=self.dtype)

  def inverse_conv_kernel(self):
    return tf.one_hot(self.channel_order, self.channel_order.shape[0], dtype=self.dtype)

  def _log_abs_det_matrix(self):
    return tf.zeros([], self.dtype)

  def _inverse(self, x):
    return tf.gather(x, self.channel_order, axis=-1)

  def _forward(self, y):
    return tf.gather(y, self.inverse_channel_order, axis=-1)


class ShuffledChannels(ChannelPermutation):
  """A random permutation, drawn from `seed` (the paper's "shuffle")."""

  def _order(self, channels, rng):
    return rng.permutation(channels)


class ReversedChannels(ChannelPermutation):
  """The channels in reverse order (the paper's "reverse", RealNVP's choice)."""

  def _order(self, channels, rng):
    return np.arange(channels)[::-1]
