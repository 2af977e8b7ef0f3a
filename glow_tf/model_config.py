"""`GlowConfig`: everything needed to rebuild a Glow model, validated when built and stored as JSON."""

import dataclasses
import json
import os

from glow_tf.choices import (COUPLINGS, DTYPES, LABEL_KINDS, NETWORK_DTYPES, PERMUTATIONS, check_config_choices,
                             config_field)

@dataclasses.dataclass(frozen=True)
class GlowConfig:
  """The architecture of one Glow model (Kingma & Dhariwal 2018).

  Attributes:
    image_shape: `(height, width, channels)` of the images the model describes.
    levels: L, the number of multi-scale levels; height and width must be divisible by `2**levels`.
    steps_per_level: K, the flow steps (ActNorm, 1x1 convolution, coupling) in each level.
    hidden_channels: W, the width of every coupling network.
    coupling: `"affine"` (scale and shift) or `"additive"` (shift only, log-det 0).
    coupling_scale_floor: the affine coupling's scale is `f + (1 - f) * sigmoid(h + 2)` with this f, so
      the generative direction divides by at least f (each coupling amplifies by at most 1/f). 0 is the
      reference's `sigmoid(h + 2)`, which a network fed an unusual latent can drive to 0: on digits about 1
      in 4 requests of 64 samples at T = 1 came out non-finite. 0.3, the default, had no failure in 600,000
      samples and no worse test bits/dim (docs/decisions.md). Ignored by additive coupling.
    permutation: how channels are mixed before each coupling: `"lu"` (LU-decomposed invertible 1x1
      convolution), `"conv"` (full-matrix 1x1 convolution), or the paper's ablations `"shuffle"` and
      `"reverse"` (fixed permutations).
    learn_top_prior: whether the top latent's Gaussian has a learned mean and scale.
    num_classes: if positive, the top prior is conditioned on labels: class ids, or multi-hot
      attribute vectors of this length.
    label_kind: for a conditional model, `"class_ids"` (int32 [B]; one-hot float vectors [B, num_classes]
      also work, and interpolate) or `"multi_hot"` (float32 [B, num_classes] attribute vectors, as CelebA's).
    label_names: for a conditional model, the names of its classes or attributes in label order, or () if
      they have none.
    n_bits: bits kept per pixel of 8-bit data (5 for faces in the paper, 8 keeps everything).
    pixel_levels: distinct values the raw pixels take: 256 for 8-bit images, 17 for scikit-learn's digits.
    dtype: `"float32"` or `"float64"`.
    network_dtype: `""` (the model's dtype) or `"bfloat16"`: the coupling networks compute in bfloat16, with
      their weights and everything else in float32. Faster on CPUs with AVX512-BF16 (and on GPUs and TPUs),
      slower on CPUs without it (measured in bench/README.md). The log-det stays exact for the map a
      coupling applies, whatever precision its network computed in; but decoding recomputes the network from a
      staying half that carries float32 round-off, which bfloat16 rounding can turn into a different network
      output: round trips agree to about 4e-3 in model space instead of 1e-6 (still exactly in pixels).
  """

  image_shape: tuple[int, int, int] = (32, 32, 3)
  levels: int = config_field(3, "Multi-scale levels L.")
  steps_per_level: int = config_field(32, "Flow steps K per level.")
  hidden_channels: int = config_field(512, "Width W of the coupling networks.")
  coupling: str = config_field("affine", "Coupling layer.", COUPLINGS)
  coupling_scale_floor: float = config_field(
      0.3, "Lower bound f of the affine coupling's scale f + (1 - f) * sigmoid(h + 2), so sampling divides by at "
      "least f (default 0.3; 0: the reference's sigmoid(h + 2)).")
  permutation: str = config_field("lu", "Channel mixing before couplings.", PERMUTATIONS)
  learn_top_prior: bool = config_field(True, "Learn the top latent's prior (default: yes).")
  num_classes: int = 0
  label_kind: str = config_field("class_ids", choices=LABEL_KINDS)
  label_names: tuple[str, ...] = ()
  n_bits: int = config_field(8, "Bits per pixel kept from 8-bit data (celeb_a: 5).")
  pixel_levels: int = 256
  dtype: str = config_field("float32", "Floating-point type of the model.", DTYPES)
  network_dtype: str = config_field(
      "", "bfloat16: coupling networks in mixed precision, faster where the hardware has bfloat16 "
      "(AVX512-BF16 CPUs, GPUs, TPUs); empty: the model's dtype.", NETWORK_DTYPES)

  def __post_init__(self):
    try:
      if isinstance(self.image_shape, str):
        raise TypeError
      object.__setattr__(self, "image_shape", tuple(int(d) for d in self.image_shape))
    except (TypeError, ValueError):
      raise ValueError(
          f"image_shape must be (height, width, channels) with positive sizes, got {self.image_shape!r}.") from None
    if isinstance(self.label_names, (list, tuple)):  # JSON gives a list.
      object.__setattr__(self, "label_names", tuple(self.label_names))
    self._validate()

  def _validate(self):
    if len(self.image_shape) != 3 or min(self.image_shape) < 1:
      raise ValueError(
          f"image_shape must be (height, width, channels) with positive sizes, got {self.image_shape}.")
    check_config_choices(self)
    _require_positive("levels", self.levels)
    _require_positive("steps_per_level", self.steps_per_level)
    _require_positive("hidden_channels", self.hidden_channels)
    factor = 2**self.levels
    for axis, size in zip(("height", "width"), self.image_shape[:2]):
      if size % factor:
        lower, upper = (size // factor) * factor, (size // factor + 1) * factor
        suggestion = f"use {lower} or {upper}" if lower else f"use {upper}"
        raise ValueError(
            f"Image {axis} {size} is not divisible by 2**levels = {factor}; {suggestion}, "
            f"or fewer levels.")
    if isinstance(self.coupling_scale_floor, bool) or not isinstance(self.coupling_scale_floor, (int, float)) \
        or not 0 <= self.coupling_scale_floor < 1:
      raise ValueError(f"coupling_scale_floor must be a number in [0, 1), got {self.coupling_scale_floor!r}.")
    if self.network_dtype and self.dtype != "float32":
      raise ValueError(f"network_dtype={self.network_dtype!r} is mixed precision for float32 models; with "
                       f"dtype={self.dtype!r}, leave network_dtype empty.")
    if not isinstance(self.num_classes, int) or self.num_classes < 0:
      raise ValueError(f"num_classes must be a whole number >= 0 (0: unconditional), got {self.num_classes!r}.")
    if not isinstance(self.label_names, tuple) or not all(isinstance(n, str) and n for n in self.label_names):
      raise ValueError(f"label_names must be a list of non-empty names, got {self.label_names!r}.")
    if self.label_names and len(self.label_names) != self.num_classes:
      raise ValueError(f"label_names names {len(self.label_names)} labels but num_classes is {self.num_classes}; "
                       f"give one name per class or attribute, or none.")
    if not isinstance(self.n_bits, int) or not 1 <= self.n_bits <= 8:
      raise ValueError(f"n_bits must be a whole number from 1 to 8, got {self.n_bits!r}.")
    if not isinstance(self.pixel_levels, int) or not 2 <= self.pixel_levels <= 256:
      raise ValueError(f"pixel_levels must be a whole number from 2 to 256, got {self.pixel_levels!r}.")

  @property
  def n_bins(self) -> int:
    """How many values each pixel takes after `n_bits` reduction: the bins of the discrete likelihood."""
    return min(2**self.n_bits, self.pixel_levels)

  @property
  def num_dims(self) -> int:
    """D = H * W * C, the dimensions that bits/dim divides by."""
    height, width, channels = self.image_shape
    return height * width * channels

  def to_json(self) -> str:
    return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

  @classmethod
  def from_json(cls, text: str) -> "GlowConfig":
    try:
      fields = json.loads(text)
    except json.JSONDecodeError as error:
      raise ValueError(f"The Glow config is not valid JSON: {error}.") from None
    if not isinstance(fields, dict):
      raise ValueError(f"The Glow config must be a JSON object, got {type(fields).__name__}.")
    known = {field.name for field in dataclasses.fields(cls)}
    unknown = sorted(set(fields) - known)
    if unknown:
      raise ValueError(
          f"The Glow config has unknown fields {unknown}; known fields are {sorted(known)}. "
          f"Was it written by a newer glow_tf?")
    # Configs written before the scale floor existed describe models trained with the reference's scale.
    fields.setdefault("coupling_scale_floor", 0.0)
    return cls(**fields)

  def save(self, path: str) -> None:
    """Writes the JSON atomically: a run killed mid-write leaves the old file or the new one, never half."""
    temporary = f"{path}.tmp"
    with open(temporary, "w") as f:
      f.write(self.to_json() + "\n")
    os.replace(temporary, path)

  @classmethod
  def load(cls, path: str) -> "GlowConfig":
    try:
      with open(path) as f:
        return cls.from_json(f.read())
    except FileNotFoundError:
      raise FileNotFoundError(f"No Glow config at {path}; a model directory holds a config.json.") from None


def _require_positive(name, value):
  if not isinstance(value, int) or isinstance(value, bool) or value < 1:
    raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")
