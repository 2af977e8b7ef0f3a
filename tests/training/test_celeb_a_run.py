"""The headline command's path, `train.py --dataset=celeb_a --conditional`, on tfds mock data."""

import glob
import os

import numpy as np
import pytest

from glow_tf import GlowConfig
from glow_tf.training import TrainConfig, dataset_defaults, train
from tests.data.helpers import mocked_tfds


@pytest.mark.slow
def test_conditional_celeb_a_run_on_mock_data(tmp_path):
  defaults = dataset_defaults("celeb_a", image_size=16, conditional=True, preset="paper")
  model_fields, run_fields = defaults.model, defaults.training
  assert (model_fields["n_bits"], model_fields["coupling"], model_fields["num_classes"]) == (5, "additive", 40)
  assert (model_fields["label_kind"], len(model_fields["label_names"])) == ("multi_hot", 40)
  assert 0.7 in run_fields["temperatures"]
  config = GlowConfig(**{**model_fields, "levels": 2, "steps_per_level": 2, "hidden_channels": 8})
  run = TrainConfig(**{**run_fields, "dataset": "celeb_a", "model_dir": str(tmp_path), "conditional": True,
                       "batch_size": 4, "init_batch_size": 8, "steps": 3, "eval_batches": 2, "num_samples": 4,
                       "temperatures": (0.7,), "eval_every": 3, "sample_every": 3})
  with mocked_tfds(num_examples=16):
    result = train(config, run, log=lambda _: None)
  assert result.step == 3 and np.isfinite(result.test_bits_per_dim)
  assert os.path.basename(glob.glob(os.path.join(result.samples_dir, "*.png"))[0]) == "step0000003_T0.7.png"
