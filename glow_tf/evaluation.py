"""Test-set bits/dim: the number flow papers report."""

import math

import numpy as np
import tensorflow as tf

from glow_tf.objective import bits_per_dim


def evaluate_bits_per_dim(glow, dataset, conditional=False, max_batches=0, progress=None):
  """Mean bits/dim of `glow` over a batched model-space `dataset` of x (or (x, labels) when `conditional`).

  Args:
    glow: a `Glow`.
    dataset: yields [B, H, W, C] batches (with labels when `conditional`).
    conditional: whether batches carry labels for the model.
    max_batches: stop after this many batches; 0 for all.
    progress: optional callable taking the number of images just scored (e.g. a progress bar's update).

  Returns:
    (mean, standard error of the mean, number of images).
  """
  config = glow.config
  # Traced per batch shape (full batches, then the last partial one): a static batch size keeps
  # models that cannot trace an unknown one, such as tfp.bijectors.Glow, scorable too.
  score = tf.function(lambda x, labels: bits_per_dim(glow.log_prob(x, labels), config.num_dims, config.n_bins))
  scores = []
  for index, batch in enumerate(dataset):
    if max_batches and index >= max_batches:
      break
    x, labels = batch if conditional else (batch, None)
    scores.append(score(x, labels).numpy())
    if progress:
      progress(len(scores[-1]))
  if not scores:
    raise ValueError("The evaluation dataset is empty.")
  scores = np.concatenate(scores).astype(np.float64)
  standard_error = scores.std(ddof=1) / math.sqrt(len(scores)) if len(scores) > 1 else float("nan")
  return float(scores.mean()), float(standard_error), len(scores)
