"""What `evaluate.py` does in each mode, on a restored model: test bits/dim, sample grids, reconstructions,
interpolations and attribute manipulations, written as PNG grids."""

import dataclasses
import math
import os

import numpy as np
import tqdm

from glow_tf import data, fast_path, latent_space, run_layout
from glow_tf.grids import image_grid, write_png
from glow_tf.health import reconstruction_error
from glow_tf.loading import LoadedModel, load_model
from glow_tf.model_config import GlowConfig
from glow_tf.pixels import NonFiniteImagesError, bin_centres
from glow_tf.sampling import SampleGrids, display_scale, grid_labels
from glow_tf.scoring import evaluate_dequantized_bits_per_dim


@dataclasses.dataclass
class ReconstructionResult:
  """Worst encode/decode round-trip errors over the test images, in model space and in uint8 display pixels."""

  model_space_error: float
  pixel_error: int
  path: str


class Evaluator:
  """A restored model, its dataset and an output directory: what each mode of evaluate.py works on."""

  def __init__(self, loaded: LoadedModel, dataset=None, data_dir=None, output_dir=None, batch_size=64, log=print,
               xla=False):
    """See `open`."""
    self.glow = loaded.glow
    self.xla = xla
    self.config = loaded.glow.config
    self.dataset = dataset
    self.data_dir = data_dir
    height, _, channels = self.config.image_shape
    self.info = data.dataset_info(dataset, height, channels) if dataset else None
    if self.info and (self.info.image_shape != self.config.image_shape
                      or self.info.pixel_levels != self.config.pixel_levels):
      raise ValueError(
          f"The model takes images of shape {self.config.image_shape} with {self.config.pixel_levels} pixel levels, "
          f"but {dataset} gives {self.info.image_shape} with {self.info.pixel_levels}: evaluate it on the data it "
          f"was trained on.")
    self.output_dir = output_dir
    self.batch_size = batch_size
    self.log = log
    self.latents = latent_space.LatentSpace(self.glow, batch_size)

  @classmethod
  def open(cls, model_dir, dataset=None, data_dir=None, output_dir=None, batch_size=64, needs_data=True, log=print,
           checkpoint="latest", xla=None):
    """Restores the model in `model_dir` (a run or a SavedModel version).

    Args:
      model_dir: the model's directory.
      dataset: its dataset; default: the run's (a SavedModel does not record one).
      data_dir: tensorflow_datasets' directory; default: the run's.
      output_dir: where PNGs go; default `<model_dir>/eval` for a run, `eval` for a SavedModel.
      batch_size: images per batch.
      needs_data: whether the mode reads the dataset, so that a missing one is reported before any work.
      log: where results are reported.
      checkpoint: for a run, `"latest"` or `"best"` (see `load_model`).
      xla: score bits/dim with XLA; None chooses from the model's size (`glow_tf.fast_path.use_xla`).
    """
    config_path = os.path.join(model_dir, run_layout.CONFIG_FILE)
    if os.path.exists(config_path):
      config = GlowConfig.load(config_path)
      info = data.dataset_info(dataset, config.image_shape[0], config.image_shape[-1]) if dataset else None
      batches = math.ceil(info.num_test / batch_size) if info and info.num_test else 0
      xla = fast_path.use_xla(xla, config, batch_size, calls=batches, training=False)
    loaded = load_model(model_dir, checkpoint)
    dataset = dataset or loaded.dataset
    if needs_data and not dataset:
      raise ValueError(
          f"{model_dir} does not record its dataset (a SavedModel does not); name it with --dataset, one of "
          f"{', '.join(data.DATASET_NAMES)} or folder:PATH.")
    if output_dir is None:
      output_dir = "eval" if loaded.step is None else run_layout.eval_dir(model_dir)
    return cls(loaded, dataset, data_dir or loaded.data_dir, output_dir, batch_size, log, bool(xla))

  def bits_per_dim(self, num_dequantizations=1, eval_batches=0, seed=0):
    """Test bits/dim with `num_dequantizations` noise draws per image; returns a `DequantizedBitsPerDim`."""
    conditional = bool(self.config.num_classes)

    def make_dataset(draw):
      return data.make_pipeline(
          self.dataset, self.config, split=self.info.test_split, batch_size=self.batch_size, training=False,
          seed=seed + draw, data_dir=self.data_dir, with_labels=conditional)

    images = self.info.num_test or None
    if images and eval_batches:
      images = min(images, eval_batches * self.batch_size)
    with tqdm.tqdm(total=images and images * num_dequantizations, unit="image", desc="bpd") as bar:
      result = evaluate_dequantized_bits_per_dim(
          self.glow, make_dataset, num_dequantizations, conditional, eval_batches, bar.update, self.xla)
    with_xla = ", with XLA" if self.xla else ""
    self.log(f"test bits/dim: {result.mean:.4f} ± {result.standard_error:.4f} (standard error over "
             f"{result.num_images} images, {num_dequantizations} dequantisation(s) each{with_xla})")
    if num_dequantizations > 1:
      self.log(f"importance-weighted bound: {result.importance_weighted:.4f} ± "
               f"{result.importance_weighted_standard_error:.4f}")
    return result

  def samples(self, temperatures, num_samples, seed=0):
    """One grid per temperature, `samples_T{t}.png`; a conditional model gets one class per column."""
    labels, columns, titles = grid_labels(self.config, num_samples, self._test_attribute_vectors)
    written = SampleGrids(self.glow).write(
        self.output_dir, "samples", temperatures, num_samples, labels=labels, seed=(seed, 0), columns=columns,
        column_titles=titles)
    paths = [grid.path for grid in written]
    self.log(f"Wrote {', '.join(paths)}")
    overflowed = [f"{grid.nonfinite} at T={grid.temperature:g}" for grid in written if grid.nonfinite]
    if overflowed:
      raise NonFiniteImagesError(
          f"Of {num_samples} samples per grid, {', '.join(overflowed)} are not finite (NaN or inf) and are drawn "
          f"black: the model's inverse overflows this far from the data; use lower temperatures (<= 1).")
    return paths

  def reconstruct(self, num_images):
    """Encodes and decodes test images: originals above reconstructions in `reconstruct.png`."""
    pixels, labels = self._examples("test", num_images)
    x = bin_centres(pixels, self.config.pixel_levels, self.config.n_bins, self.config.dtype)
    model_space_error = reconstruction_error(self.glow, x, labels)
    originals = self.latents.display(pixels)
    reconstructions = self.latents.decode(self.latents.encode(pixels, labels), labels)
    pixel_error = int(np.abs(originals.astype(np.int32) - reconstructions).max())
    path = self._write("reconstruct.png", np.concatenate([originals, reconstructions]), columns=len(pixels))
    self.log(f"Round trip of {len(pixels)} test images: max error {model_space_error:.3g} in model space, "
             f"{pixel_error} in uint8 pixels. Wrote {path}")
    return ReconstructionResult(model_space_error, pixel_error, path)

  def interpolate(self, num_pairs, num_steps):
    """Straight lines in latent space between pairs of test images, one row per pair, in `interpolate.png`."""
    pixels, labels = self._examples("test", 2 * num_pairs)
    if len(pixels) < 2:
      raise ValueError(f"Interpolation needs at least 2 test images; {self.dataset} has {len(pixels)}.")
    pairs = len(pixels) // 2
    z = self.latents.encode(pixels[:2 * pairs], None if labels is None else labels[:2 * pairs])
    path_z = latent_space.interpolate(z[0::2], z[1::2], num_steps)  # [P, S, H, W, C]
    path_labels = None
    if labels is not None:
      vectors = self._label_vectors(labels[:2 * pairs])
      path_labels = latent_space.interpolate(vectors[0::2], vectors[1::2], num_steps).reshape(pairs * num_steps, -1)
    images = self.latents.decode(path_z.reshape(pairs * num_steps, *self.config.image_shape), path_labels)
    path = self._write("interpolate.png", images, columns=num_steps)
    self.log(f"Wrote {path}: {pairs} pairs of test images, {num_steps} steps each.")
    return path

  def manipulate(self, attribute, alphas, scale=1.6, num_images=8, num_direction_images=2000):
    """Moves test images along an attribute's direction: one row per image, one column per alpha."""
    has_attribute = self._attribute_test(attribute)
    pixels, labels = self._examples("train", num_direction_images, need_labels=True)
    model_labels = labels if self.config.num_classes else None
    direction = latent_space.attribute_direction(
        self.latents.encode(pixels, model_labels, progress=True), has_attribute(labels))
    test_pixels, test_labels = self._examples("test", num_images)
    edited = latent_space.manipulate(self.latents.encode(test_pixels, test_labels), direction, alphas, scale)
    repeated_labels = None if test_labels is None else np.repeat(test_labels, len(alphas), axis=0)
    images = self.latents.decode(edited.reshape(-1, *self.config.image_shape), repeated_labels)
    path = self._write(f"manipulate_{attribute}.png", images, columns=len(alphas))
    self.log(f"Wrote {path}: {len(test_pixels)} test images moved along {attribute!r} by "
             f"{', '.join(f'{a:g}' for a in alphas)} x {scale:g}.")
    return path

  def _attribute_test(self, attribute):
    """A function from a batch of dataset labels to whether each image has `attribute`."""
    names = self.info.label_names
    if not names:
      raise ValueError(f"{self.dataset} has no labels, so no attribute can be manipulated.")
    if attribute not in names:
      kind = "attribute" if self.info.multi_label else "class"
      raise ValueError(f"Unknown {kind} {attribute!r} for {self.dataset}; choose one of {', '.join(names)}.")
    index = names.index(attribute)
    if self.info.multi_label:
      return lambda labels: np.asarray(labels)[:, index] > 0.5
    return lambda labels: np.asarray(labels) == index

  def _test_attribute_vectors(self, n):
    if self.info is None:
      raise ValueError("A model conditional on attributes draws samples with its test images' attribute vectors: "
                       "name its dataset with --dataset.")
    return self._examples("test", n)[1]

  def _examples(self, split, count, need_labels=False):
    """The first `count` images of a split as uint8 [N, H, W, C], with their labels if the model (or caller) uses them."""
    split = self.info.train_split if split == "train" else self.info.test_split
    keep_labels = need_labels or bool(self.config.num_classes)
    height, _, channels = self.config.image_shape
    examples = data.load_pixels(self.dataset, split, height, self.data_dir, channels)
    batch = next(iter(examples.take(count).batch(count)), None)
    if batch is None:
      raise ValueError(f"The {split} split of {self.dataset} has no images.")
    labels = batch["label"].numpy() if keep_labels and "label" in batch else None
    return batch["image"].numpy(), labels

  def _label_vectors(self, labels):
    """Labels as float vectors [N, num_classes] (class ids one-hot), which can be interpolated."""
    if np.issubdtype(labels.dtype, np.integer):
      return np.eye(self.config.num_classes, dtype=np.float32)[labels]
    return labels.astype(np.float32)

  def _write(self, name, images, columns):
    path = os.path.join(self.output_dir, name)
    write_png(path, image_grid(images, columns=columns), scale=display_scale(self.config.image_shape))
    return path
