"""Between pixels and model space, and the bits/dim objective every flow paper reports.

Model space is float images in [-0.5, 0.5), as in the reference implementation: integer pixels with
`pixel_levels` values are reduced to `n_bins` values, `x = bin / n_bins - 0.5`, and training adds uniform
dequantisation noise U(0, 1/n_bins) so that a density on reals bounds the discrete likelihood.
"""

import math

import numpy as np
import tensorflow as tf


class NonFiniteImagesError(ValueError):
  """A model's images came out NaN or inf: their latents lay too far from those of real images (a high
  temperature, a long step along a direction) for the model's inverse to stay within its floating-point range."""


def nonfinite_images(x):
  """bool [N]: which of the model-space images x [N, H, W, C] hold a NaN or inf."""
  x = np.asarray(x)
  return ~np.isfinite(x).reshape(len(x), -1).all(axis=1)


def preprocess(pixels, pixel_levels, n_bins, dtype=tf.float32, noise_seed=None):
  """Maps integer pixels in [0, pixel_levels) to model space.

  Args:
    pixels: integer or float tensor of pixel values in [0, pixel_levels).
    pixel_levels: the number of values the raw pixels take (256 for 8-bit images).
    n_bins: the number of values kept, at most `pixel_levels`. For 8-bit data and `n_bins = 2**n_bits`
      this is the reference's `floor(x / 2**(8 - n_bits))`.
    dtype: the float dtype of the result.
    noise_seed: `None` for no dequantisation noise, else an int32 `[2]` stateless seed for uniform noise.

  Returns:
    `dtype` tensor of the same shape, in [-0.5, 0.5).
  """
  pixels = tf.cast(pixels, dtype)
  # pixels * n_bins is exact and the division correctly rounded, so a whole quotient stays whole; the
  # rounded ratio n_bins / pixel_levels would put some exact multiples (e.g. 25 of 100 levels) a bin low.
  bins = tf.floor(pixels * n_bins / pixel_levels)
  x = bins / n_bins - 0.5
  if noise_seed is not None:
    x += tf.random.stateless_uniform(tf.shape(x), noise_seed, maxval=1.0 / n_bins, dtype=dtype)
  return x


def bin_centres(pixels, pixel_levels, n_bins, dtype=tf.float32):
  """Maps integer pixels to the centres of their bins in model space: `preprocess` without noise, + 0.5 / n_bins.

  The deterministic stand-in for dequantisation noise, used wherever the same pixels must always give the
  same answer (served log-likelihoods, encodings for interpolation): a bin's centre is its noise's mean.
  """
  return preprocess(pixels, pixel_levels, n_bins, dtype) + 0.5 / n_bins


def to_pixels(x, pixel_levels, n_bins):
  """The inverse of `preprocess`: model-space images -> uint8 pixels in [0, pixel_levels), as the data has them.

  Each value goes to the lowest pixel of its bin (for 8-bit data the reference's `bin * 2**(8 - n_bits)`),
  so `preprocess` maps the result back to the same bin. Unlike `postprocess`, the pixels are not spread over
  0..255: a digit comes back in 0..16, as scikit-learn has it, ready to be scored or encoded again.
  """
  bins = tf.clip_by_value(tf.floor((x + 0.5) * n_bins), 0, n_bins - 1)
  # bins * pixel_levels is exact and the division correctly rounded, so a whole quotient is not pushed up a pixel.
  return tf.cast(tf.math.ceil(bins * pixel_levels / n_bins), tf.uint8)


def postprocess(x, n_bins):
  """Maps model-space images back to uint8 pixels in [0, 255] for display or serving.

  Each value is rounded down to its bin (undoing the dequantisation noise), then the bins are spread over
  the full 8-bit range, so a 17-level digit or a 5-bit face looks as intended.
  """
  bins = tf.clip_by_value(tf.floor((x + 0.5) * n_bins), 0, n_bins - 1)
  return tf.cast(tf.round(bins * (255.0 / (n_bins - 1))), tf.uint8)


def bits_per_dim(log_prob, num_dims, n_bins):
  """Bits per dimension of the discretised data: `(-log p(x) + D * log(n_bins)) / (D * log 2)`.

  Args:
    log_prob: log-density of dequantised images in model space (width 1/n_bins per bin), any shape.
    num_dims: D = H * W * C.
    n_bins: the number of values each pixel takes.
  """
  log_prob = tf.convert_to_tensor(log_prob)
  return (-log_prob + num_dims * math.log(n_bins)) / (num_dims * math.log(2.0))
