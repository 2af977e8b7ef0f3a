import numpy as np
import pytest
import tensorflow as tf

from glow_tf import Glow, GlowConfig, data
from glow_tf.evaluator import Evaluator
from glow_tf.health import mixing_condition_numbers, reconstruction_error
from glow_tf.loading import load_model
from glow_tf.pixels import bin_centres
from glow_tf.training import TrainConfig, dataset_defaults, train
from tests.helpers import randomize


def test_condition_numbers_cover_every_mixing_layer_and_start_at_one():
  glow = Glow(GlowConfig(image_shape=(4, 4, 3), levels=2, steps_per_level=3, hidden_channels=4, permutation="conv"))
  numbers = mixing_condition_numbers(glow)
  assert len(numbers) == 6
  np.testing.assert_allclose(numbers, 1.0, rtol=1e-5)  # Rotations.
  randomize(glow, scale=0.5)
  assert max(mixing_condition_numbers(glow)) > 1.01


def test_reconstruction_error_is_round_off_for_a_random_model():
  glow = Glow(GlowConfig(image_shape=(4, 4, 3), levels=2, steps_per_level=2, hidden_channels=4))
  randomize(glow, scale=0.1)
  x = tf.random.stateless_uniform([4, 4, 4, 3], [0, 1], -0.5, 0.5)
  assert 0 < reconstruction_error(glow, x) < 1e-5


@pytest.mark.slow
def test_a_model_trained_a_few_hundred_steps_on_digits_still_inverts(tmp_path):
  # digits' own data and pixel levels, at the smaller architecture its preset had until K=16, W=128 measured better.
  model_fields = {**dataset_defaults("digits").model, "steps_per_level": 8, "hidden_channels": 64}
  num_images = 64
  pixels = next(iter(data.load_pixels("digits", "test", 8).take(num_images).batch(num_images)))["image"]
  for permutation in ("lu", "conv"):
    config = GlowConfig(**{**model_fields, "permutation": permutation})
    result_dir = str(tmp_path / permutation)
    train(config, TrainConfig(model_dir=result_dir, steps=300, batch_size=32, warmup_steps=50, checkpoint_every=300,
                              eval_every=0, sample_every=0), log=lambda _: None)
    glow = load_model(result_dir).glow  # The model evaluate.py checks: the weights' average.
    test = next(iter(data.make_pipeline("digits", config, "test", batch_size=256, training=False)))
    error = reconstruction_error(glow, test)
    numbers = mixing_condition_numbers(glow)
    print(f"\n{permutation}: max round-trip error {error:.2e}, worst 1x1 condition number {max(numbers):.2f}")
    assert error < 1e-3
    assert max(numbers) < 1e3

    if permutation != "lu":
      continue  # evaluate.py's reconstruct is the same code for every permutation: one run checks it.
    # What evaluate.py reconstruct does to check a trained model (its command runs in test_evaluate_cli.py), on the
    # first test images, as bin centres.
    evaluator = Evaluator.open(result_dir, output_dir=str(tmp_path / permutation / "eval"), log=lambda _: None)
    reported = evaluator.reconstruct(num_images)
    in_process = reconstruction_error(glow, bin_centres(pixels, config.pixel_levels, config.n_bins))
    print(f"{permutation}: evaluate.py reconstruct reports {reported.model_space_error:.3g}; in process "
          f"{in_process:.3g}")
    assert reported.model_space_error < 1e-3 and reported.pixel_error == 0
    np.testing.assert_allclose(reported.model_space_error, in_process, rtol=1e-5)
