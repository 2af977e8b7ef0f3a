"""The latent space of a trained model: encoding pixels, interpolating, and attribute manipulation as in the paper.

Every latent here is the image-shaped standardised latent `z = glow.bijector.inverse(x)` ([B, H, W, C], the
per-level latents of `glow.encode` packed into one tensor): standard normal under the model, so straight lines
and mean differences in it are meaningful. Pixels are encoded from their bins' centres, so the same image
always has the same latent.
"""

import numpy as np
import tqdm

from glow_tf.pixels import NonFiniteImagesError, bin_centres, nonfinite_images, postprocess
from glow_tf.tracing import graph_function


def encode_pixels(glow, pixels, labels=None):
  """uint8 pixels [B, H, W, C] in [0, pixel_levels) -> their image-shaped standardised latents [B, H, W, C]."""
  config = glow.config
  x = bin_centres(pixels, config.pixel_levels, config.n_bins, config.dtype)
  return glow.merge_latents(glow.encode(x, labels))


def decode_latent(glow, z, labels=None):
  """Image-shaped latents [B, H, W, C] -> model-space images."""
  return glow.decode(glow.split_latents(z), labels)


class LatentSpace:
  """`encode_pixels` and `decode_latent` traced once for a model, in batches, with numpy in and out."""

  def __init__(self, glow, batch_size=64):
    self.glow = glow
    self.batch_size = batch_size
    self._encode = graph_function(lambda pixels, labels: encode_pixels(glow, pixels, labels), reduce_retracing=True)
    self._decode = graph_function(lambda z, labels: decode_latent(glow, z, labels), reduce_retracing=True)

  def encode(self, pixels, labels=None, progress=False):
    """Latents [B, H, W, C] of uint8 pixels [B, H, W, C]; `progress` shows a bar for long runs."""
    return self._batched(self._encode, pixels, labels, "encode" if progress else None)

  def decode(self, z, labels=None):
    """uint8 display images [B, H, W, C] (0..255, as `postprocess` makes them) of latents [B, H, W, C].

    Raises:
      NonFiniteImagesError: some images came out NaN or inf, which no uint8 pixel can show.
    """
    x = self._batched(self._decode, np.asarray(z, self.glow.config.dtype), labels)
    nonfinite = int(nonfinite_images(x).sum())
    if nonfinite:
      raise NonFiniteImagesError(
          f"{nonfinite} of {len(x)} decoded images are not finite (NaN or inf): their latents lie too far from "
          f"those of real images (a large manipulation strength or scale?) for the model's inverse.")
    return postprocess(x, self.glow.config.n_bins).numpy()

  def display(self, pixels):
    """uint8 display images of uint8 pixels, made as `decode` makes its images: originals to show beside them."""
    config = self.glow.config
    x = bin_centres(pixels, config.pixel_levels, config.n_bins, config.dtype)
    return postprocess(x, config.n_bins).numpy()

  def _batched(self, fn, inputs, labels, description=None):
    outputs = []
    starts = range(0, len(inputs), self.batch_size)
    for start in tqdm.tqdm(starts, desc=description, unit="batch", disable=description is None):
      batch = slice(start, start + self.batch_size)
      outputs.append(fn(inputs[batch], None if labels is None else labels[batch]).numpy())
    return np.concatenate(outputs) if outputs else fn(inputs, labels).numpy()


def interpolate(z_start, z_end, num_steps):
  """Points on the straight lines from each `z_start` to its `z_end`: [P, ...] each -> [P, num_steps, ...]."""
  if num_steps < 2:
    raise ValueError(f"An interpolation needs num_steps >= 2 (both ends), got {num_steps}.")
  t = np.linspace(0.0, 1.0, num_steps).reshape([1, num_steps] + [1] * (np.ndim(z_start) - 1))
  z_start, z_end = np.asarray(z_start)[:, np.newaxis], np.asarray(z_end)[:, np.newaxis]
  return ((1.0 - t) * z_start + t * z_end).astype(z_start.dtype)


def attribute_direction(z, has_attribute):
  """The paper's manipulation direction: mean latent of images with an attribute minus the mean of those without.

  Args:
    z: latents [N, ...].
    has_attribute: bool [N].
  """
  has_attribute = np.asarray(has_attribute, bool)
  count = int(has_attribute.sum())
  if count == 0 or count == len(has_attribute):
    raise ValueError(
        f"{count} of {len(has_attribute)} images have the attribute; a direction needs images with it and without.")
  z = np.asarray(z, np.float64)
  return (z[has_attribute].mean(axis=0) - z[~has_attribute].mean(axis=0)).astype(np.float32)


def manipulate(z, direction, alphas, scale=1.0):
  """Each latent moved along `direction` by each of `alphas` times `scale`: [B, ...] -> [B, len(alphas), ...].

  The paper's CelebA demo uses alphas in [-1, 1] and scale 1.6.
  """
  steps = (np.asarray(alphas, np.float32) * scale).reshape([1, -1] + [1] * np.ndim(direction))
  z = np.asarray(z)
  return (z[:, np.newaxis] + steps * np.asarray(direction, z.dtype)).astype(z.dtype)
