"""The defaults train.py fills in: fitted to a folder's images and their number, the paper's by name, digits' own."""

import pytest

from glow_tf import data
from glow_tf.training import TrainConfig, dataset_defaults
from tests.data.helpers import write_images
from tests.tiny_run import run_script


def architecture(defaults):
  return {key: defaults.model[key] for key in ("image_shape", "levels", "steps_per_level", "hidden_channels",
                                               "coupling")}


def schedule(defaults):
  return {key: defaults.training.get(key) for key in ("batch_size", "steps", "warmup_steps", "eval_every",
                                                      "sample_every", "checkpoint_every", "eval_batches")}


def test_digits_keep_their_measured_preset():
  defaults = dataset_defaults("digits")
  assert architecture(defaults) == dict(image_shape=(8, 8, 1), levels=2, steps_per_level=16, hidden_channels=128,
                                        coupling="affine")
  # Its measured training fields over TrainConfig's defaults; eval_batches 0: the whole test split.
  assert set(defaults.training) == {"model_dir", "weight_decay", "learning_rate_decay", "warmup_steps", "xla"}
  train_config = TrainConfig(**defaults.training)
  assert {key: getattr(train_config, key) for key in schedule(defaults)} == dict(
      batch_size=64, steps=1000, warmup_steps=25, eval_every=250, sample_every=250, checkpoint_every=250,
      eval_batches=0)
  assert (train_config.weight_decay, train_config.learning_rate_decay, train_config.xla) == (0.5, "cosine", False)
  assert dataset_defaults("digits", preset="paper") == defaults


def test_a_folder_of_3000_28x28_grayscale_images_gets_a_mid_sized_model_and_40_epochs(tmp_path):
  write_images(tmp_path, [(28, 28)] * 3000, mode="L")
  defaults = dataset_defaults(f"folder:{tmp_path}")
  # 2700 training images, 43 batches of 64 an epoch: L=2 keeps the top level at 7x7.
  assert architecture(defaults) == dict(image_shape=(28, 28, 1), levels=2, steps_per_level=16, hidden_channels=128,
                                        coupling="affine")
  assert schedule(defaults) == dict(batch_size=64, steps=1720, warmup_steps=25, eval_every=86, sample_every=86,
                                    checkpoint_every=86, eval_batches=0)
  assert "2700 training images of 28x28x1" in defaults.reason and "K=16, W=128" in defaults.reason


def test_a_small_folder_of_large_colour_photos_gets_64x64_four_levels_and_the_shortest_run(tmp_path):
  write_images(tmp_path, [(96, 128)] * 200)
  defaults = dataset_defaults(f"folder:{tmp_path}")
  assert architecture(defaults) == dict(image_shape=(64, 64, 3), levels=4, steps_per_level=8, hidden_channels=64,
                                        coupling="affine")
  assert schedule(defaults) == dict(batch_size=64, steps=1000, warmup_steps=25, eval_every=25, sample_every=25,
                                    checkpoint_every=25, eval_batches=0)


def test_the_paper_preset_is_the_celeb_a_hq_architecture_and_recipe(tmp_path):
  write_images(tmp_path, [(30, 41)] * 20)
  defaults = dataset_defaults(f"folder:{tmp_path}", image_size=64, preset="paper")
  assert architecture(defaults) == dict(image_shape=(64, 64, 3), levels=4, steps_per_level=32, hidden_channels=512,
                                        coupling="additive")
  assert schedule(defaults) == dict(batch_size=64, steps=200_000, warmup_steps=5000, eval_every=5000,
                                    sample_every=5000, checkpoint_every=2000, eval_batches=50)
  # Without --image_size, a folder's images keep their own size: the shorter side 30, rounded down to 28.
  assert dataset_defaults(f"folder:{tmp_path}").model["image_shape"] == (28, 28, 3)


def test_train_py_flags_choose_the_preset_and_override_its_values(tmp_path):
  from tests import cli  # pylint: disable=g-import-not-at-top
  write_images(tmp_path / "images", [(28, 28)] * 20, mode="L")
  common = ["train.py", f"--dataset=folder:{tmp_path / 'images'}", f"--model_dir={tmp_path / 'run'}"]
  train, _ = cli.parse("train", [*common, "--preset=paper", "--steps_per_level=2", "--ema_decay=0"])
  glow_config, train_config, reason = train.configs_from_flags()
  assert (glow_config.image_shape, glow_config.levels, glow_config.steps_per_level, glow_config.coupling) == (
      (64, 64, 1), 4, 2, "additive")
  assert (train_config.steps, train_config.warmup_steps, train_config.ema_decay) == (200_000, 5000, 0)
  assert "the paper's" in reason
  train, _ = cli.parse("train", [*common, "--learning_rate_decay=cosine", "--warmup_steps=7", "--weight_decay=0.1"])
  glow_config, train_config, reason = train.configs_from_flags()
  assert (glow_config.levels, glow_config.steps_per_level, glow_config.coupling) == (2, 8, "affine")
  assert (train_config.learning_rate_decay, train_config.warmup_steps, train_config.ema_decay,
          train_config.weight_decay) == ("cosine", 7, 0.999, 0.1)
  assert reason.startswith("fitted to 18 training images of 28x28x1")
  # A measured training field (digits' xla=False) is a default like the others: a flag overrides it.
  for flags, xla in (([], False), (["--xla"], True)):
    train, _ = cli.parse("train", ["train.py", f"--model_dir={tmp_path / 'digits'}", *flags])
    assert train.configs_from_flags()[1].xla is xla


def test_epochs_on_digits_count_batches_of_trainconfigs_default_size(tmp_path):
  # Digits' preset leaves the batch to TrainConfig; --epochs must find it there.
  from tests import cli  # pylint: disable=g-import-not-at-top
  train, _ = cli.parse("train", ["train.py", "--epochs=2", f"--model_dir={tmp_path / 'run'}"])
  _, train_config, _ = train.configs_from_flags()
  num_train = data.dataset_info("digits").num_train
  assert train_config.batch_size == 64 and train_config.steps == -(-2 * num_train // 64)


@pytest.mark.slow
def test_train_py_on_a_28x28_folder_with_no_architecture_flag(tmp_path):
  write_images(tmp_path / "images", [(28, 28)] * 20, mode="L")
  result = run_script("train.py", f"--dataset=folder:{tmp_path / 'images'}", f"--model_dir={tmp_path / 'run'}",
                      "--steps=2", "--batch_size=8", "--init_batch_size=8", "--num_samples=4")
  assert result.returncode == 0, result.stderr[-3000:]
  assert "image_shape=(28, 28, 1), levels=2, steps_per_level=8, hidden_channels=64" in result.stdout
  assert "Defaults: fitted to 18 training images of 28x28x1" in result.stdout
  # Two steps are too few to pay for compiling (glow_tf.fast_path), and the log says the choice was made for you.
  assert "XLA: off (automatic: --xla or --noxla to choose)" in result.stdout
  assert "test bits/dim" in result.stdout + result.stderr and (tmp_path / "run" / "export" / "2").is_dir()
