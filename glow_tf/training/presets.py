"""Per-dataset defaults: the paper's architectures where it gives them, and a laptop-sized one for digits."""

import re

from glow_tf import data

_ARCHITECTURES = {
    # Small enough to train in minutes on a laptop CPU.
    "digits": dict(levels=2, steps_per_level=8, hidden_channels=64, coupling="affine"),
    "mnist": dict(levels=3, steps_per_level=16, hidden_channels=256, coupling="affine"),
    "fashion_mnist": dict(levels=3, steps_per_level=16, hidden_channels=256, coupling="affine"),
    # The paper's CIFAR-10 model.
    "cifar10": dict(levels=3, steps_per_level=32, hidden_channels=512, coupling="affine"),
    "svhn_cropped": dict(levels=3, steps_per_level=32, hidden_channels=512, coupling="affine"),
    # The paper's CelebA-HQ choices (additive coupling, 5 bits), one level fewer for 64x64.
    "celeb_a": dict(levels=4, steps_per_level=32, hidden_channels=512, coupling="additive"),
    "folder": dict(levels=4, steps_per_level=32, hidden_channels=512, coupling="additive"),
}

_TRAINING = {
    # The test bits/dim of this model bottoms out near 1000 steps; past that 1500 images are overfitted.
    "digits": dict(batch_size=64, steps=1000, warmup_steps=100, checkpoint_every=250, eval_every=250,
                   sample_every=250),
}
_DEFAULT_TRAINING = dict(batch_size=64, steps=200_000, warmup_steps=5000, checkpoint_every=2000, eval_every=5000,
                         sample_every=5000, eval_batches=50)
_FACE_TEMPERATURES = (0.0, 0.25, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def dataset_defaults(dataset, image_size=None, conditional=False, channels=None):
  """(dict of `GlowConfig` fields, dict of `TrainConfig` fields) for training on `dataset` from scratch.

  Plain dicts, so that flags can override any of them before the configs are built and validated. `channels`
  converts a folder's images (see `data.dataset_info`).
  """
  info = data.dataset_info(dataset, image_size, channels)
  family = "folder" if dataset.startswith("folder:") else dataset
  if conditional and not info.num_classes:
    hint = (" Put each class's images in a subfolder of its own to label them." if family == "folder" else "")
    raise ValueError(f"{dataset} has no labels to condition on; drop --conditional.{hint}")
  labels = dict(num_classes=info.num_classes, label_names=info.label_names,
                label_kind="multi_hot" if info.multi_label else "class_ids") if conditional else {}
  model = dict(
      image_shape=info.image_shape, pixel_levels=info.pixel_levels, n_bits=info.default_n_bits, **labels,
      **_ARCHITECTURES[family])
  training = dict(_TRAINING.get(family, _DEFAULT_TRAINING), model_dir=f"runs/{_slug(dataset)}")
  if family in ("celeb_a", "folder"):
    training["temperatures"] = _FACE_TEMPERATURES
  return model, training


def _slug(dataset):
  return re.sub(r"[^A-Za-z0-9_.-]+", "_", dataset.replace("folder:", "folder_")).strip("_")
