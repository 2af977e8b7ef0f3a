"""A trained model as a SavedModel that TensorFlow Serving (or any TensorFlow runtime, without TFP) can serve.

Layout, as TF Serving expects it: `<export_dir>/<version>/` holds the SavedModel (`saved_model.pb`, `variables/`)
and `config.json`, the model's `GlowConfig`, so that every version describes itself (`load_model` rebuilds
the `Glow` from it). TF Serving ignores the extra file and serves the highest version.

Signatures (every batch dimension dynamic; `labels` only for conditional models, as the config's `label_kind`
says: int32 class ids [B], or float32 multi-hot attribute vectors [B, num_classes] for data such as CelebA):

- `log_prob` (also `serving_default`): `images` uint8 [B, H, W, C] (+ `labels`) -> `log_prob` [B], the
  log-density of the images' bin centres, and `bits_per_dim` [B].
- `sample`: `count` int32 [], `temperature` float32 [], `seed` int32 [2] (+ `labels` [count]) -> `images`.
- `encode`: `images` (+ `labels`) -> `latent` [B, H, W, C], the standardised latent, and `level0`, `level1`, ...,
  the same numbers as the per-level latents of `Glow.encode` (exiting halves first, the top latent last).
- `decode`: `latent` [B, H, W, C] (+ `labels`) -> `images`.

Every uint8 tensor, in or out, holds pixels as the data has them, in [0, pixel_levels): 0..255 for 8-bit
images, 0..16 for scikit-learn's digits. So a sample can be scored or encoded as it is.
"""

import os
import shutil

import tensorflow as tf

from glow_tf import disk_space, run_layout
from glow_tf.bijectors import ActNorm
from glow_tf.latent_space import decode_latent, encode_pixels
from glow_tf.loading import load_model
from glow_tf.pixels import bin_centres, bits_per_dim, to_pixels
from glow_tf.request_checks import RequestChecks
from glow_tf.tracing import graph_function

# The signature TF Serving runs when a request names none. log_prob takes one batched input, so REST clients
# can send it rows ("instances"); it is deterministic, so a retried request gets the same answer; and scoring
# images (novelty detection, comparing models) is what a served density model is mostly asked for.
DEFAULT_SIGNATURE = "log_prob"
SIGNATURES = ("log_prob", "sample", "encode", "decode")
# A bound on `count`, so that one request cannot ask a server for more memory than it has.
MAX_SAMPLE_COUNT = 1024


class ServingModule(tf.Module):
  """A trained `Glow`'s four serving functions on uint8 pixels, each a `tf.function` with an input signature.

  The model is tracked as `model`, the name training checkpoints give it (`run_layout.MODEL`), so its variables
  can be read back into a `Glow` from the SavedModel's `variables/` as from a checkpoint.
  """

  def __init__(self, glow, max_sample_count=MAX_SAMPLE_COUNT):
    """Wraps `glow`, whose ActNorm layers must already be initialised (or restored).

    Args:
      glow: a trained `Glow`.
      max_sample_count: the most images one `sample` request may ask for.
    """
    super().__init__(name="glow_serving")
    _require_initialized(glow)
    self.model = glow
    config = glow.config
    self._checks = RequestChecks(config, max_sample_count)
    self._dtype = tf.as_dtype(config.dtype)
    images = tf.TensorSpec([None, *config.image_shape], tf.uint8, name="images")
    latent = tf.TensorSpec([None, *config.image_shape], self._dtype, name="latent")
    if not config.num_classes:
      labels = []
    elif config.label_kind == "multi_hot":
      labels = [tf.TensorSpec([None, config.num_classes], tf.float32, name="labels")]
    else:
      labels = [tf.TensorSpec([None], tf.int32, name="labels")]
    scalars = [tf.TensorSpec([], tf.int32, name="count"), tf.TensorSpec([], tf.float32, name="temperature"),
               tf.TensorSpec([2], tf.int32, name="seed")]
    self.log_prob = graph_function(self._log_prob, input_signature=[images, *labels])
    self.sample = graph_function(self._sample, input_signature=[*scalars, *labels])
    self.encode = graph_function(self._encode, input_signature=[images, *labels])
    self.decode = graph_function(self._decode, input_signature=[latent, *labels])

  def signatures(self):
    """The signature map for `tf.saved_model.save`: every function, and `log_prob` again as `serving_default`."""
    functions = {name: getattr(self, name) for name in SIGNATURES}
    return {**functions, "serving_default": functions[DEFAULT_SIGNATURE]}

  def _log_prob(self, images, labels=None):
    images, labels = self._checks.images(images, labels)
    config = self.model.config
    log_prob = self.model.log_prob(bin_centres(images, config.pixel_levels, config.n_bins, self._dtype), labels)
    return {"log_prob": log_prob, "bits_per_dim": bits_per_dim(log_prob, config.num_dims, config.n_bins)}

  def _sample(self, count, temperature, seed, labels=None):
    # Glow.sample itself refuses a negative count and a negative or non-finite temperature.
    count, labels = self._checks.sample_request(count, labels)
    return {"images": self._pixels(self.model.sample(count, temperature, labels, seed))}

  def _encode(self, images, labels=None):
    images, labels = self._checks.images(images, labels)
    z = encode_pixels(self.model, images, labels)
    levels = self.model.split_latents(z)
    return {"latent": z, **{f"level{index}": latent for index, latent in enumerate(levels)}}

  def _decode(self, latent, labels=None):
    latent, labels = self._checks.latent(latent, labels)
    return {"images": self._pixels(decode_latent(self.model, latent, labels))}

  def _pixels(self, x):
    return to_pixels(self._checks.finite_images(x), self.model.config.pixel_levels, self.model.config.n_bins)


def _require_initialized(glow):
  # A fresh ActNorm is the identity (zero log-scale and bias); after data-dependent initialisation it is not.
  fresh = [layer.name for layer in glow.submodules
           if isinstance(layer, ActNorm) and not layer.log_scale.numpy().any() and not layer.bias.numpy().any()]
  if fresh:
    raise ValueError(
        f"{len(fresh)} ActNorm layers (e.g. {fresh[0]}) were never initialised: export a trained or restored model, "
        f"or call glow.initialize(first_batch) first. Initialisation never runs inside a served graph.")


def export_saved_model(glow, export_dir, version, max_sample_count=MAX_SAMPLE_COUNT):
  """Writes `glow` as version `version` of a TF Serving model: `<export_dir>/<version>/`, with config.json.

  The version appears all at once (written beside it, then renamed), so a server watching `export_dir` never
  loads half a model. An existing version is never overwritten.

  Args:
    glow: a trained (or restored) `Glow`.
    export_dir: the model's base directory, e.g. `saved_models/digits`.
    version: a whole number >= 1; TF Serving serves the highest.
    max_sample_count: the most images one `sample` request may ask for.

  Returns:
    The version's directory.
  """
  if isinstance(version, bool) or not isinstance(version, int) or version < 1:
    raise ValueError(f"A SavedModel version must be a whole number >= 1 (TF Serving's layout), got {version!r}.")
  path = os.path.join(export_dir, str(version))
  if os.path.exists(path):
    raise FileExistsError(f"{path} already exists; export another version, or remove it first.")
  module = ServingModule(glow, max_sample_count)
  # A name that is not a number: TF Serving does not take it for a version while it is being written.
  staging = os.path.join(export_dir, f".{version}.staging-{os.getpid()}")
  shutil.rmtree(staging, ignore_errors=True)
  try:
    tf.saved_model.save(module, staging, signatures=module.signatures())
    glow.config.save(os.path.join(staging, run_layout.CONFIG_FILE))
    os.rename(staging, path)
  except BaseException as error:
    shutil.rmtree(staging, ignore_errors=True)
    if disk_space.out_of_space(error):
      raise disk_space.as_os_error(error, path) from None
    raise
  return path


def export_model(model_dir, export_dir=None, version=None, checkpoint="latest"):
  """Exports the model in `model_dir` (a training run, or a SavedModel to re-export) with `export_saved_model`.

  Args:
    model_dir: a run directory or a SavedModel version directory.
    export_dir: the SavedModel's base directory; default `<model_dir>/export`.
    version: default: the checkpoint's training step, so a run that trains on exports a newer version. A run
      already exported at its step is left as it is.
    checkpoint: for a run directory, `"latest"` or `"best"` (see `load_model`).

  Returns:
    The version's directory.
  """
  loaded = load_model(model_dir, checkpoint)
  export_dir = export_dir or run_layout.export_dir(model_dir)
  if version is None:
    if loaded.step is None:
      raise ValueError(f"{model_dir} is a SavedModel, which records no training step: choose a version.")
    version = loaded.step
    path = os.path.join(export_dir, str(version))
    if os.path.exists(os.path.join(path, "saved_model.pb")):
      return path
  return export_saved_model(loaded.glow, export_dir, version)
