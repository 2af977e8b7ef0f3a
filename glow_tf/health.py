"""Numerical health of a trained model: does the inverse still invert?"""

import numpy as np
import tensorflow as tf

from glow_tf.bijectors import Invertible1x1Conv


def reconstruction_error(glow, x, labels=None):
  """Max |decode(encode(x)) - x| over model-space images x: float32 round-off, unless something broke."""
  x = tf.convert_to_tensor(x)
  # A fresh copy of the latents: decoding TFP's cached encoder output would return x without computing.
  latents = [tf.identity(latent) for latent in glow.encode(x, labels)]
  return float(tf.reduce_max(tf.abs(glow.decode(latents, labels) - x)))


def mixing_condition_numbers(glow):
  """The condition number of every invertible 1x1 convolution's matrix W, in float64.

  Training can drift a W towards singular; its inverse (used to sample and decode) then amplifies
  round-off by up to this factor.
  """
  layers = [module for module in glow.submodules if isinstance(module, Invertible1x1Conv)]
  return [float(np.linalg.cond(layer.matrix().numpy().astype(np.float64))) for layer in layers]
