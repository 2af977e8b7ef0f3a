"""`Glow`: the layers chained into one bijector over a standard Gaussian, as a TFP distribution."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from glow_tf import bijectors as glow_bijectors
from glow_tf.bijectors.squeeze import depth_to_space, space_to_depth
from glow_tf.config import GlowConfig

tfb = tfp.bijectors
tfd = tfp.distributions


class Glow(tf.Module):
  """Glow (Kingma & Dhariwal 2018) for images of `config.image_shape`, in model space [-0.5, 0.5].

  `bijector` maps a latent z of the image's shape to an image x (TFP's convention); the encoding direction
  used in training is `bijector.inverse`. Per level, in the encoding direction: squeeze, K steps of
  (ActNorm, invertible 1x1 convolution, coupling), then either a split (the second half of the channels
  exits through `SplitPrior`, the next level acts on the first) or, at the last level, `TopPrior`; then the
  squeeze is undone so every level's latent shares one tensor of the image's shape.

  ```python
  glow = Glow(GlowConfig(image_shape=(32, 32, 3), levels=3, steps_per_level=8, hidden_channels=128))
  glow.initialize(first_batch)                 # data-dependent ActNorm initialisation, once
  nll = -glow.distribution.log_prob(x)         # x: [B, 32, 32, 3]
  images = glow.distribution_at(0.7).sample(16)
  ```
  """

  def __init__(self, config: GlowConfig, seed=0, name="glow"):
    super().__init__(name=name)
    self.config = config
    self._dtype = tf.as_dtype(config.dtype)
    self._rng = np.random.default_rng(seed)
    self._label_path = []
    height, width, channels = config.image_shape
    with self.name_scope:
      self.bijector = tfb.Chain(
          [glow_bijectors.ExpectImageShape(config.image_shape), self._level(0, channels)], name="glow")
      self.distribution = self.distribution_at(1.0)

  def _level(self, level, channels):
    """The chain of one level and, through `OnStayingHalf`, of all levels after it."""
    config = self.config
    channels *= 4  # After the squeeze.
    prefix = f"level{level}"
    self._label_path.append(prefix)
    layers = [tfb.Invert(glow_bijectors.Squeeze(name=f"{prefix}_squeeze"))]
    for step in range(config.steps_per_level):
      step_prefix = f"{prefix}_step{step}"
      layers += [
          glow_bijectors.ActNorm(channels, dtype=self._dtype, name=f"{step_prefix}_actnorm"),
          glow_bijectors.Invertible1x1Conv(
              channels, config.permutation, seed=self._next_seed(), dtype=self._dtype,
              name=f"{step_prefix}_1x1_conv"),
          glow_bijectors.AffineCoupling(
              channels, config.hidden_channels, config.coupling, seed=self._next_seed(), dtype=self._dtype,
              name=f"{step_prefix}_coupling"),
      ]
    if level < config.levels - 1:
      self._label_path.append(f"{prefix}_next_level")
      layers += [
          glow_bijectors.SplitPrior(channels, dtype=self._dtype, name=f"{prefix}_split_prior"),
          glow_bijectors.OnStayingHalf(self._level(level + 1, channels // 2), name=f"{prefix}_next_level"),
      ]
    else:
      self._label_path.append(f"{prefix}_top_prior")
      layers.append(glow_bijectors.TopPrior(
          channels, config.learn_top_prior, config.num_classes, dtype=self._dtype, name=f"{prefix}_top_prior"))
    layers.append(glow_bijectors.Squeeze(name=f"{prefix}_unsqueeze"))
    return tfb.Chain(layers, name=prefix)

  def _next_seed(self):
    return int(self._rng.integers(2**31))

  def distribution_at(self, temperature):
    """The model with its base distribution N(0, T^2 I): T < 1 trades diversity for fidelity (T = 0.7 for faces)."""
    base = tfd.Sample(
        tfd.Normal(tf.zeros([], self._dtype), tf.cast(temperature, self._dtype)),
        sample_shape=self.config.image_shape)
    return tfd.TransformedDistribution(base, self.bijector, name="glow")

  def bijector_kwargs(self, labels=None):
    """The `bijector_kwargs` that carry `labels` to the top prior: `dist.log_prob(x, bijector_kwargs=...)`."""
    if labels is None:
      return {}
    kwargs = {"labels": labels}
    for name in reversed(self._label_path):
      kwargs = {name: kwargs}
    return {"glow": kwargs}

  def log_prob(self, x, labels=None):
    """log p(x) of model-space images [B, H, W, C]."""
    return self.distribution.log_prob(x, bijector_kwargs=self.bijector_kwargs(labels))

  def sample(self, n, temperature=1.0, labels=None, seed=None):
    """n model-space images drawn at `temperature`."""
    return self.distribution_at(temperature).sample(
        n, seed=seed, bijector_kwargs=self.bijector_kwargs(labels))

  def initialize(self, x, labels=None):
    """Data-dependent initialisation: every ActNorm standardises its input over the batch `x`.

    Call once, eagerly, before training (the reference uses 256 images); a restored model must not be
    initialised again.
    """
    with glow_bijectors.data_dependent_initialization():
      self.bijector.inverse(tf.convert_to_tensor(x, self._dtype), **self.bijector_kwargs(labels))

  def encode(self, x, labels=None):
    """Model-space images -> standardised latents per level (exiting halves first, top latent last)."""
    return self.split_latents(self.bijector.inverse(x, **self.bijector_kwargs(labels)))

  def decode(self, latents, labels=None):
    """Per-level latents (as from `encode`) -> model-space images."""
    return self.bijector.forward(self.merge_latents(latents), **self.bijector_kwargs(labels))

  def split_latents(self, z):
    """The image-shaped latent z -> the list of per-level latents of `config.level_shapes()`."""
    latents = []
    for _ in range(self.config.levels - 1):
      stay, exited = tf.split(space_to_depth(z), 2, axis=-1)
      latents.append(exited)
      z = stay
    latents.append(space_to_depth(z))
    return latents

  def merge_latents(self, latents):
    """The inverse of `split_latents`."""
    expected = self.config.level_shapes()
    if len(latents) != len(expected):
      raise ValueError(f"Expected {len(expected)} latents of shapes {expected}, got {len(latents)}.")
    z = depth_to_space(latents[-1])
    for exited in reversed(latents[:-1]):
      z = depth_to_space(tf.concat([z, exited], axis=-1))
    return z
