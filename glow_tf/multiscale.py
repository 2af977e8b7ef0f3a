"""The multi-scale architecture's layout (Kingma & Dhariwal 2018, figure 2b; Dinh et al. 2017): which shape each
level's flow steps act on, what leaves the flow at each level, and the per-level latents that layout makes of one
image-shaped latent.

In the encoding direction each level squeezes (2x2 pixels into channels), runs its flow steps, then sends the
second half of its channels out of the flow; the first half goes on to the next level. The last level (the top)
sends out all of its channels. Each level undoes its squeeze at the end, so the latents of all levels share one
tensor of the image's shape; `split_latents` and `merge_latents` convert between that tensor and the per-level
latents.
"""

import dataclasses

import tensorflow as tf

from glow_tf.bijectors.squeeze import depth_to_space, space_to_depth
from glow_tf.model_config import GlowConfig


@dataclasses.dataclass(frozen=True)
class Level:
  """One level: its index from the bottom, the `(height, width, channels)` its flow steps act on (after its
  squeeze), and whether it is the top, where every channel leaves."""

  index: int
  shape: tuple[int, int, int]
  is_top: bool

  @property
  def channels(self) -> int:
    return self.shape[-1]

  @property
  def latent_shape(self) -> tuple[int, int, int]:
    """The shape of what leaves the flow at this level: half the channels, or all at the top."""
    height, width, channels = self.shape
    return self.shape if self.is_top else (height, width, channels // 2)


def levels(config: GlowConfig) -> tuple[Level, ...]:
  """The levels of `config`'s model, from the bottom (the image's resolution / 2) to the top."""
  height, width, channels = config.image_shape
  layout = []
  for index in range(config.levels):
    height, width, channels = height // 2, width // 2, channels * 4  # The squeeze.
    level = Level(index, (height, width, channels), is_top=index == config.levels - 1)
    layout.append(level)
    channels -= level.latent_shape[-1]
  return tuple(layout)


def latent_shapes(config: GlowConfig) -> list[tuple[int, int, int]]:
  """The shape of each level's latent, the exiting halves first and the top latent last."""
  return [level.latent_shape for level in levels(config)]


def split_latents(z, config: GlowConfig):
  """The image-shaped latent z [..., H, W, C] -> the list of per-level latents of `latent_shapes(config)`."""
  latents = []
  for level in levels(config):
    z = space_to_depth(z)
    if level.is_top:
      latents.append(z)
    else:
      z, exited = tf.split(z, 2, axis=-1)
      latents.append(exited)
  return latents


def merge_latents(latents, config: GlowConfig, dtype=tf.float32):
  """The inverse of `split_latents`; refuses latents of the wrong number or shapes."""
  layout = levels(config)
  if len(latents) != len(layout):
    raise ValueError(f"Expected {len(layout)} latents of shapes {latent_shapes(config)}, got {len(latents)}.")
  latents = [tf.convert_to_tensor(latent, dtype_hint=dtype) for latent in latents]
  for level, latent in zip(layout, latents):
    shape = level.latent_shape
    if latent.shape.rank is not None and (latent.shape.rank < 4 or not latent.shape[-3:].is_compatible_with(shape)):
      raise ValueError(
          f"Latent {level.index} must have shape [batch, {', '.join(map(str, shape))}]; got {latent.shape}.")
  z = None
  for level, latent in reversed(list(zip(layout, latents))):
    z = depth_to_space(latent if level.is_top else tf.concat([z, latent], axis=-1))
  return z
