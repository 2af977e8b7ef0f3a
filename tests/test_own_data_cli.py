"""train.py and evaluate.py on users' own labelled data: CelebA's original files in both layouts, class folders."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import GlowConfig
from glow_tf.data.tfds_datasets import CELEB_A_ATTRIBUTES
from glow_tf.grids import TITLE_HEIGHT
from tests.data.helpers import write_celeb_a_files, write_class_folders
from tests.tiny_run import run_script

TINY = ("--image_size=8", "--levels=2", "--steps_per_level=1", "--hidden_channels=8", "--steps=2",
        "--checkpoint_every=2", "--eval_every=2", "--eval_batches=1", "--sample_every=2", "--temperatures=0.5")


def train_conditional(model_dir, *flags):
  result = run_script("train.py", f"--model_dir={model_dir}", "--conditional", *TINY, *flags)
  assert result.returncode == 0, result.stderr[-3000:]
  return GlowConfig.load(os.path.join(model_dir, "config.json"))


def labels_spec(model_dir):
  export = os.path.join(model_dir, "export")
  signatures = tf.saved_model.load(os.path.join(export, max(os.listdir(export)))).signatures
  spec = signatures["log_prob"].structured_input_signature[1]["labels"]
  return spec.dtype, spec.shape.as_list()


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["authors", "kaggle"])
def test_conditional_celeb_a_from_its_original_files(tmp_path, layout):
  write_celeb_a_files(tmp_path / "celeba", layout, partitions=(0, 0, 0, 0, 1, 2, 2))
  model_dir = tmp_path / "run"
  config = train_conditional(model_dir, "--dataset=celeb_a", f"--data_dir={tmp_path}", "--batch_size=2",
                             "--init_batch_size=4", "--num_samples=2")
  assert (config.image_shape, config.num_classes, config.label_kind) == ((8, 8, 3), 40, "multi_hot")
  assert config.label_names == CELEB_A_ATTRIBUTES
  assert labels_spec(model_dir) == (tf.float32, [None, 40])
  assert os.path.exists(model_dir / "samples" / "step0000002_T0.5.png")


@pytest.mark.slow
@pytest.mark.parametrize("mode, channels", [("RGB", 3), ("L", 1)])
def test_conditional_class_folders_sample_by_class_and_manipulate_by_name(tmp_path, mode, channels):
  name = write_class_folders(tmp_path / "pets", {"cat": 5, "dog": 5, "owl": 5}, mode=mode)
  model_dir = tmp_path / "run"
  config = train_conditional(model_dir, f"--dataset={name}", "--batch_size=4", "--init_batch_size=8",
                             "--num_samples=6")
  assert config.image_shape == (8, 8, channels)
  assert (config.num_classes, config.label_kind, config.label_names) == (3, "class_ids", ("cat", "dog", "owl"))
  assert json.load(open(model_dir / "config.json"))["label_names"] == ["cat", "dog", "owl"]
  assert labels_spec(model_dir) == (tf.int32, [None])
  # One class per column, its name in a band above: the grid of 6 samples in 3 columns is 2 images high.
  grid = tf.io.decode_png(tf.io.read_file(str(model_dir / "samples" / "step0000002_T0.5.png"))).numpy()
  scale = 64 // 8
  assert grid.shape == (TITLE_HEIGHT + (2 * 9 + 1) * scale, (3 * 9 + 1) * scale, channels)
  assert grid[:TITLE_HEIGHT].max() > 200 and np.mean(grid[:TITLE_HEIGHT] == 0) > 0.5  # White names on black.
  if channels == 1:
    return  # evaluate.py reads class folders alike in either case.

  result = run_script("evaluate.py", "manipulate", f"--model_dir={model_dir}", "--attribute=owl",
                      "--num_images=2", "--num_direction_images=15", "--alphas=-1,0,1")
  assert result.returncode == 0, result.stderr[-3000:]
  assert os.path.exists(model_dir / "eval" / "manipulate_owl.png")
  result = run_script("evaluate.py", "manipulate", f"--model_dir={model_dir}", "--attribute=horse")
  assert result.returncode != 0 and "Unknown class 'horse'" in result.stderr + result.stdout
  assert "cat, dog, owl" in result.stderr + result.stdout
