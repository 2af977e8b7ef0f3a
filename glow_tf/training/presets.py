"""Per-dataset defaults: an architecture and a schedule fitted to the data (`auto`), or the paper's (`paper`).

`auto` sizes the model by the images and the run by the training split, so that `train.py --dataset=folder:PATH`
with no other flag trains a sensible model on anything from a few thousand 28x28 digits to 200,000 64x64 faces:
- levels: as many as keep the top level at least 4x4 (the paper's 32x32 -> L=3, 64x64 -> L=4), at most 4;
- width and depth: grow with the training split, up to the paper's W=512, K=32 from 100,000 images;
- the schedule: counted in epochs of the training split (warm-up half an epoch, run 40, an evaluation, a sample grid
  and a checkpoint every 2), within the paper's values (warm-up 5000, 200,000 steps, evaluations every 5000). The
  short warm-up is measured: on 32x32 RGB crops (3150 images) 25 steps of it instead of 100 took the test bits/dim
  after 5 minutes from 3.62 to 3.20 (bench/quality.py, same machine, one after the other). ActNorm's
  initialisation keeps the reference's 256 images: one batch of 64 saved 9 s of that run's start but left it at
  3.29-3.31 after 5 minutes.
`paper` is the reference's architecture for the data and its recipe for a week on 8 GPUs. What is the paper's for
which dataset, and digits' one measured preset (under both), are the dataset's own (`data.DatasetInfo`).
"""

import dataclasses
import math
import re

from glow_tf import data
from glow_tf.data import folder

_PAPER_TRAINING = dict(batch_size=64, steps=200_000, warmup_steps=5000, checkpoint_every=2000, eval_every=5000,
                       sample_every=5000, eval_batches=50)

# (training images below which, width W, depth K); the paper's 512 and 32 from there on.
_SIZES_BY_DATA = ((2_000, 64, 8), (20_000, 128, 16), (100_000, 256, 16))
_BATCH_SIZE = 64
_MAX_LEVELS, _MIN_TOP_SIZE = 4, 4
_EPOCHS, _WARMUP_EPOCHS, _EPOCHS_BETWEEN_EVALUATIONS = 40, 0.5, 2
_MIN_STEPS, _MIN_WARMUP_STEPS = 1000, 25
_EVAL_BATCHES = 50


@dataclasses.dataclass(frozen=True)
class RunDefaults:
  """`GlowConfig` fields, `TrainConfig` fields (plain dicts, so that flags can override any of them before the
  configs are built and validated), and one line saying what was chosen and why."""

  model: dict
  training: dict
  reason: str


def dataset_defaults(dataset, image_size=None, conditional=False, channels=None, preset="auto"):
  """The `RunDefaults` for training on `dataset` from scratch; `channels` converts a folder's images (see
  `data.dataset_info`), `preset` is `"auto"` or `"paper"` (see the module's docstring)."""
  if preset == "paper" and folder.is_folder(dataset) and image_size is None:
    image_size = folder.PAPER_IMAGE_SIZE
  info = data.dataset_info(dataset, image_size, channels)
  if conditional and not info.num_classes:
    hint = " Put each class's images in a subfolder of its own to label them." if folder.is_folder(dataset) else ""
    raise ValueError(f"{dataset} has no labels to condition on; drop --conditional.{hint}")
  labels = dict(num_classes=info.num_classes, label_names=info.label_names,
                label_kind="multi_hot" if info.multi_label else "class_ids") if conditional else {}
  if info.measured_architecture:
    architecture, training = info.measured_architecture, dict(info.measured_training or {})
    reason = f"the preset measured on {dataset}"
  elif preset == "paper":
    architecture, training = info.paper_architecture, _PAPER_TRAINING
    reason = "the paper's architecture and recipe (--preset=paper)"
  else:
    architecture, training, reason = _fitted(info)
  model = dict(image_shape=info.image_shape, pixel_levels=info.pixel_levels, n_bits=info.default_n_bits, **labels,
               **dataclasses.asdict(architecture))
  training = dict(training, model_dir=f"runs/{_slug(dataset)}")
  if info.sample_temperatures:
    training["temperatures"] = info.sample_temperatures
  return RunDefaults(model, training, reason)


def _fitted(info):
  """(architecture, schedule, reason) fitted to `info`'s image size and training split."""
  size = info.image_shape[0]
  levels = max([1] + [level for level in range(1, _MAX_LEVELS + 1)
                      if size % 2**level == 0 and size // 2**level >= _MIN_TOP_SIZE])
  num_train = info.num_train
  hidden, depth = next(((w, k) for limit, w, k in _SIZES_BY_DATA if num_train < limit), (512, 32))
  epoch = math.ceil(num_train / _BATCH_SIZE)
  steps = min(max(_EPOCHS * epoch, _MIN_STEPS), _PAPER_TRAINING["steps"])
  every = min(max(_EPOCHS_BETWEEN_EVALUATIONS * epoch, steps // 40), _PAPER_TRAINING["eval_every"])
  architecture = data.Architecture(levels=levels, steps_per_level=depth, hidden_channels=hidden, coupling="affine")
  warmup = min(max(math.ceil(_WARMUP_EPOCHS * epoch), _MIN_WARMUP_STEPS), _PAPER_TRAINING["warmup_steps"])
  training = dict(
      batch_size=_BATCH_SIZE, steps=steps, warmup_steps=warmup,
      checkpoint_every=min(every, _PAPER_TRAINING["checkpoint_every"]), eval_every=every, sample_every=every,
      eval_batches=0 if info.num_test and info.num_test <= _EVAL_BATCHES * _BATCH_SIZE else _EVAL_BATCHES)
  top = size // 2**levels
  reason = (f"fitted to {num_train} training images of {size}x{size}x{info.image_shape[2]}: L={levels} (top "
            f"{top}x{top}), K={depth}, W={hidden}, affine; {steps} steps ({steps / epoch:g} epochs of {epoch}), "
            f"warm-up {warmup}, evaluation every {every} (--preset=paper: the paper's)")
  return architecture, training, reason


def _slug(dataset):
  return re.sub(r"[^A-Za-z0-9_.-]+", "_", dataset.replace("folder:", "folder_")).strip("_")
