"""Test-set bits/dim: the number flow papers report."""

import dataclasses
import math
import weakref

import numpy as np

from glow_tf.pixels import bits_per_dim
from glow_tf.tracing import graph_function

# model -> {xla: its traced scoring function}, reused by every evaluation of a run: one trace per batch shape,
# where a new tf.function per evaluation would retrace each time (and have TensorFlow warn about it mid-training).
_scorers = weakref.WeakKeyDictionary()


def evaluate_bits_per_dim(glow, dataset, conditional=False, max_batches=0, progress=None, xla=False):
  """Mean bits/dim of `glow` over a batched model-space `dataset` of x (or (x, labels) when `conditional`).

  Args:
    glow: a `Glow`.
    dataset: yields [B, H, W, C] batches (with labels when `conditional`).
    conditional: whether batches carry labels for the model.
    max_batches: stop after this many batches; 0 for all.
    progress: optional callable taking the number of images just scored (e.g. a progress bar's update).
    xla: compile the scoring with XLA (see `glow_tf.fast_path`).

  Returns:
    (mean, standard error of the mean, number of images).
  """
  scores = bits_per_dim_per_image(glow, dataset, conditional, max_batches, progress, xla)
  return float(scores.mean()), _standard_error(scores), len(scores)


def bits_per_dim_per_image(glow, dataset, conditional=False, max_batches=0, progress=None, xla=False):
  """The bits/dim of every image in `dataset`, in order, as float64 [N]; arguments as `evaluate_bits_per_dim`."""
  score = _scorer(glow, xla)
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
  return np.concatenate(scores).astype(np.float64)


def _scorer(glow, xla=False):
  """bits/dim per image of a batch, as one tf.function per model (and XLA or not), traced per batch shape (full
  batches, then the last partial one): a static batch size keeps models that cannot trace an unknown one, such
  as tfp.bijectors.Glow, scorable too."""
  scorers = _scorers.setdefault(glow, {})
  if xla not in scorers:
    # A weak reference: the cache must not keep the model it is keyed on alive.
    model, config = weakref.ref(glow), glow.config
    scorers[xla] = graph_function(
        lambda x, labels: bits_per_dim(model().log_prob(x, labels), config.num_dims, config.n_bins), jit_compile=xla)
  return scorers[xla]


@dataclasses.dataclass
class DequantizedBitsPerDim:
  """Test bits/dim from several dequantisation noise draws per image; means with their standard errors.

  Attributes:
    mean, standard_error: bits/dim averaged over the draws: the usual number (what one draw estimates), with
      less noise.
    importance_weighted, importance_weighted_standard_error: `-log2 mean_k p(x + u_k)` per dimension, a tighter
      bound on the discrete model's bits/dim that approaches it as the draws grow (equal to `mean` for one).
    num_images, num_dequantizations: what was averaged.
  """

  mean: float
  standard_error: float
  importance_weighted: float
  importance_weighted_standard_error: float
  num_images: int
  num_dequantizations: int


def evaluate_dequantized_bits_per_dim(glow, make_dataset, num_dequantizations, conditional=False, max_batches=0,
                                      progress=None, xla=False):
  """Test bits/dim of `glow` with `num_dequantizations` noise draws per image.

  Args:
    glow: a `Glow`.
    make_dataset: `make_dataset(seed)` returns the batched test set, the same images in the same order for
      every seed and noise that differs between seeds (as `glow_tf.data.make_pipeline(..., training=False)`).
    num_dequantizations: noise draws per image, >= 1.
    conditional, max_batches, progress, xla: as for `evaluate_bits_per_dim`.
  """
  if isinstance(num_dequantizations, bool) or not isinstance(num_dequantizations, int) or num_dequantizations < 1:
    raise ValueError(f"num_dequantizations must be a whole number >= 1, got {num_dequantizations!r}.")
  scores = np.stack([
      bits_per_dim_per_image(glow, make_dataset(seed), conditional, max_batches, progress, xla)
      for seed in range(num_dequantizations)])  # [K, N]
  # In nats for the whole image, log mean_k p_k = logsumexp_k(log p_k) - log K; bits/dim is affine in log p.
  nats = -scores * glow.config.num_dims * math.log(2.0)
  weighted_nats = np.logaddexp.reduce(nats, axis=0) - math.log(num_dequantizations)
  weighted = -weighted_nats / (glow.config.num_dims * math.log(2.0))
  per_image = scores.mean(axis=0)
  return DequantizedBitsPerDim(
      float(per_image.mean()), _standard_error(per_image), float(weighted.mean()), _standard_error(weighted),
      scores.shape[1], num_dequantizations)


def _standard_error(scores):
  return float(scores.std(ddof=1) / math.sqrt(len(scores))) if len(scores) > 1 else float("nan")
