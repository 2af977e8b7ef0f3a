"""`Glow`: the layers chained into one bijector over a standard Gaussian, as a TFP distribution."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from glow_tf import bijectors as glow_bijectors
from glow_tf import multiscale
from glow_tf.choices import BACKPROP_MODES, check_choice
from glow_tf.model_config import GlowConfig
from glow_tf.passes.data_init import initialize_and_encode
from glow_tf.passes.invertible_backprop import InvertibleBackprop
from glow_tf.shared_trace import SharedTrace

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

  def __init__(self, config: GlowConfig, seed=0, backprop="stored", name="glow"):
    """Builds the model.

    Args:
      config: the architecture.
      seed: fixes the initial 1x1 convolutions, permutations and coupling weights.
      backprop: how gradients of `log_prob` get the layers' activations: `"stored"` (kept from the forward
        pass), `"recomputed"` (recomputed from each layer's stored input) or `"invertible"` (each layer's input
        rebuilt from its output: memory for one layer's activations whatever the depth); see
        `InvertibleBackprop`. The value of every method, and the checkpoint, are the same in every mode.
      name: the module's name.
    """
    super().__init__(name=name)
    check_choice("backprop", backprop, BACKPROP_MODES)
    self.config = config
    self._dtype = tf.as_dtype(config.dtype)
    self._rng = np.random.default_rng(seed)
    with self.name_scope:
      levels, path = self._level(multiscale.levels(config))
      # The bijectors whose names route labels from the outer chain to the top prior.
      self._path_to_top_prior = [levels, *path]
      if backprop != "stored":
        levels = InvertibleBackprop(levels, reconstruct=backprop == "invertible")
      self.bijector = tfb.Chain([glow_bijectors.ExpectImageShape(config.image_shape), levels], name="glow")
      self.distribution = self.distribution_at(1.0)

  def _level(self, layout):
    """The chain of the first level of `layout` (`multiscale.Level`s) and, through `OnStayingHalf`, of the rest.

    Returns the chain and the bijectors inside it that lead to the top prior (`OnStayingHalf` hands its
    keyword arguments to its inner chain as they are). The level's flow steps, built alike, share one trace
    of each direction (`SharedTrace`): graphs build faster and smaller (the CelebA default's first training step
    57 s instead of 283 s), and under XLA, which compiles the whole function anyway, they run inline.
    """
    config = self.config
    level, channels = layout[0], layout[0].channels
    prefix = f"level{level.index}"
    layers = [tfb.Invert(glow_bijectors.Squeeze(name=f"{prefix}_squeeze"))]
    for step in range(config.steps_per_level):
      name = f"{prefix}_step{step}"
      layers.append(glow_bijectors.FlowStep(
          glow_bijectors.ActNorm(channels, dtype=self._dtype, name=f"{name}_actnorm"),
          glow_bijectors.make_invertible_1x1_conv(
              channels, config.permutation, seed=self._next_seed(), dtype=self._dtype, name=f"{name}_1x1_conv"),
          glow_bijectors.AffineCoupling(
              channels, config.hidden_channels, config.coupling, seed=self._next_seed(), dtype=self._dtype,
              network_dtype=config.network_dtype or None, scale_floor=config.coupling_scale_floor,
              name=f"{name}_coupling"),
          name=name))
    shared_trace = SharedTrace(layers[1])
    for step in layers[1:]:
      step.share_trace(shared_trace)
    if not level.is_top:
      inner, path = self._level(layout[1:])
      next_level = glow_bijectors.OnStayingHalf(inner, name=f"{prefix}_next_level")
      layers += [glow_bijectors.SplitPrior(channels, dtype=self._dtype, name=f"{prefix}_split_prior"), next_level]
      path = [next_level, *path]
    else:
      top_prior = glow_bijectors.TopPrior(
          channels, config.learn_top_prior, config.num_classes, config.label_kind, dtype=self._dtype,
          name=f"{prefix}_top_prior")
      layers.append(top_prior)
      path = [top_prior]
    layers.append(glow_bijectors.Squeeze(name=f"{prefix}_unsqueeze"))
    return tfb.Chain(layers, name=prefix), path

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
    for bijector in reversed(self._path_to_top_prior):
      kwargs = {bijector.name: kwargs}
    return kwargs

  def log_prob(self, x, labels=None):
    """log p(x) of model-space images [B, H, W, C]; B may be 0."""
    return _on_nonempty_batch(
        lambda x, labels: self.distribution.log_prob(x, bijector_kwargs=self.bijector_kwargs(labels)),
        self._model_space(x), labels)

  def sample(self, n, temperature=1.0, labels=None, seed=None):
    """n model-space images drawn at `temperature`; `seed`, an int32 [2] tensor, makes it reproducible."""
    n = _check_sample_count(n)
    temperature = _check_temperature(temperature)
    shape = tf.concat([[n], self.config.image_shape], axis=0)
    if seed is None:
      z = tf.random.normal(shape, dtype=self._dtype)
    else:
      z = tf.random.stateless_normal(shape, seed, dtype=self._dtype)
    return self._generate(tf.cast(temperature, self._dtype) * z, labels)

  def initialize(self, x, labels=None):
    """Data-dependent initialisation: every ActNorm standardises its input over the batch `x`.

    Call once before training (the reference uses 256 images); a restored model must not be initialised again. A conditional model may be initialised without labels: no label-dependent part
    is initialised from data.
    """
    if labels is None and self.config.num_classes:
      labels = tf.zeros([tf.shape(x)[0], self.config.num_classes], self._dtype)
    initialize_and_encode(self.bijector, tf.convert_to_tensor(x, self._dtype), **self.bijector_kwargs(labels))

  def encode(self, x, labels=None):
    """Model-space images -> standardised latents per level (exiting halves first, top latent last)."""
    z = _on_nonempty_batch(
        lambda x, labels: self.bijector.inverse(x, **self.bijector_kwargs(labels)), self._model_space(x), labels)
    return self.split_latents(z)

  def decode(self, latents, labels=None):
    """Per-level latents (as from `encode`) -> model-space images."""
    return self._generate(self.merge_latents(latents), labels)

  def _model_space(self, x):
    x = tf.convert_to_tensor(x, dtype_hint=self._dtype)
    if x.dtype != self._dtype:
      raise TypeError(
          f"Glow expects {self._dtype.name} images in model space [-0.5, 0.5]; got {x.dtype.name}. Map pixels "
          f"with glow_tf.preprocess first.")
    return x

  def _generate(self, z, labels):
    return _on_nonempty_batch(lambda z, labels: self.bijector.forward(z, **self.bijector_kwargs(labels)), z, labels)

  def split_latents(self, z):
    """The image-shaped latent z -> the list of per-level latents of `multiscale.latent_shapes(config)`."""
    return multiscale.split_latents(z, self.config)

  def merge_latents(self, latents):
    """The inverse of `split_latents`."""
    return multiscale.merge_latents(latents, self.config, self._dtype)


def _check_sample_count(n):
  if isinstance(n, (int, np.integer)):
    if n < 0:
      raise ValueError(f"The number of samples must be >= 0, got {n}.")
    return n
  n = tf.convert_to_tensor(n, tf.int32)
  with tf.control_dependencies([tf.debugging.assert_non_negative(n, message="The number of samples must be >= 0")]):
    return tf.identity(n)


def _check_temperature(temperature):
  if isinstance(temperature, (int, float, np.floating)):
    if not 0 <= temperature < float("inf"):
      raise ValueError(f"temperature must be a finite number >= 0, got {temperature}.")
    return temperature
  temperature = tf.convert_to_tensor(temperature)
  check = tf.debugging.Assert(
      tf.math.is_finite(temperature) & (temperature >= 0), ["temperature must be a finite number >= 0, got", temperature])
  with tf.control_dependencies([check]):
    return tf.identity(temperature)


def _on_nonempty_batch(fn, x, labels):
  """fn(x, labels) for a batch that may be empty.

  oneDNN's Conv2D in TF 2.21 returns a wrongly shaped result for an empty batch, so an empty (or possibly
  empty) batch gets one zero example appended, and the result is cut back to the batch's size.
  """
  if x.shape[0]:  # Statically non-empty, as in training: no padding.
    return fn(x, labels)
  size = tf.shape(x)[0]
  pad = lambda t: None if t is None else _append_zero_example(t)[:tf.maximum(size, 1)]
  return tf.nest.map_structure(lambda out: out[:size], fn(pad(x), pad(labels)))


def _append_zero_example(t):
  t = tf.convert_to_tensor(t)
  return tf.concat([t, tf.zeros(tf.concat([[1], tf.shape(t)[1:]], axis=0), t.dtype)], axis=0)
