"""Test bits/dim on digits: glow_tf's default run against tfp.bijectors.Glow trained for the same wall-clock time.

    python bench/digits_vs_tfp.py [--repeats=3]

Ours is `glow_tf.training.train` with the digits defaults (what `python train.py` runs), timed from start to
end (initialisation, evaluations and checkpoints included). tfp.bijectors.Glow gets the same architecture
(L=2, K=8, W=64, affine couplings, learned split priors), the same data pipeline and objective, Adamax with the
same warm-up, and trains for the same number of seconds with nothing else to do. Both are then scored on the
whole digits test split with the same dequantisation noise. Prints a table of medians over repeats.
"""

import tempfile
import time

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from absl import app, flags, logging


from glow_tf import GlowConfig, bits_per_dim, data, training  # pylint: disable=g-import-not-at-top
from glow_tf.scoring import evaluate_bits_per_dim  # pylint: disable=g-import-not-at-top
from glow_tf.training.schedule import LinearWarmup  # pylint: disable=g-import-not-at-top

tfb, tfd = tfp.bijectors, tfp.distributions
flags.DEFINE_integer("repeats", 3, "Runs of each, with different seeds.")
FLAGS = flags.FLAGS


def run_ours(seed):
  defaults = training.dataset_defaults("digits")
  model_fields, run_fields = defaults.model, defaults.training
  config = GlowConfig(**model_fields)
  with tempfile.TemporaryDirectory() as model_dir:
    train_config = training.TrainConfig(**{**run_fields, "model_dir": model_dir, "seed": seed, "sample_every": 0})
    start = time.perf_counter()
    result = training.train(config, train_config, log=lambda _: None)
    seconds = time.perf_counter() - start
  return config, train_config, seconds, result.test_bits_per_dim, result.step


class _TfpGlow:
  """tfp.bijectors.Glow at our architecture, as a distribution with a `log_prob` like Glow's."""

  def __init__(self, config):
    height, width, channels = config.image_shape
    hidden = config.hidden_channels
    self.bijector = tfb.Glow(
        output_shape=config.image_shape, num_glow_blocks=config.levels, num_steps_per_block=config.steps_per_level,
        coupling_bijector_fn=lambda shape: tfb.GlowDefaultNetwork(shape, num_hidden=hidden),
        exit_bijector_fn=tfb.GlowDefaultExitNetwork, grab_after_block=(0.5,) * config.levels)
    self.distribution = tfd.TransformedDistribution(
        tfd.Sample(tfd.Normal(0.0, 1.0), self.bijector.inverse_event_shape([height, width, channels])), self.bijector)
    self.config = config

  def log_prob(self, x, labels=None):
    del labels
    return self.distribution.log_prob(x)


def run_tfp(config, train_config, seconds, seed):
  tf.keras.utils.set_random_seed(seed)
  model = _TfpGlow(config)
  batches = iter(data.make_pipeline("digits", config, "train", train_config.batch_size, training=True, seed=seed))
  model.log_prob(next(batches))  # TFP's ActNorm initialises itself from the first batch it sees.
  variables = model.bijector.trainable_variables
  optimizer = tf.keras.optimizers.Adamax(LinearWarmup(train_config.learning_rate, train_config.warmup_steps))

  @tf.function
  def step(x):
    with tf.GradientTape() as tape:
      loss = tf.reduce_mean(bits_per_dim(model.log_prob(x), config.num_dims, config.n_bins))
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

  steps, start = 0, time.perf_counter()
  while time.perf_counter() - start < seconds:
    step(next(batches))
    steps += 1
  return test_bits_per_dim(model, train_config), steps


def test_bits_per_dim(model, train_config):
  test = data.make_pipeline("digits", model.config, "test", train_config.batch_size, training=False,
                            seed=train_config.seed)
  return evaluate_bits_per_dim(model, test)[0]


def main(argv):
  del argv
  logging.set_verbosity(logging.ERROR)
  rows = []
  for seed in range(FLAGS.repeats):
    config, train_config, seconds, ours, our_steps = run_ours(seed)
    theirs, their_steps = run_tfp(config, train_config, seconds, seed)
    rows.append((seconds, ours, our_steps, theirs, their_steps))
    print(f"seed {seed}: {seconds:.0f} s; glow_tf {ours:.4f} bits/dim ({our_steps} steps), "
          f"tfp.bijectors.Glow {theirs:.4f} bits/dim ({their_steps} steps)", flush=True)
  seconds, ours, our_steps, theirs, their_steps = np.median(np.array(rows), axis=0)
  print("\n| digits, same wall-clock | seconds | steps | test bits/dim |")
  print("| --- | --- | --- | --- |")
  print(f"| glow_tf (python train.py defaults) | {seconds:.0f} | {our_steps:.0f} | {ours:.4f} |")
  print(f"| tfp.bijectors.Glow, same architecture | {seconds:.0f} | {their_steps:.0f} | {theirs:.4f} |")
  print(f"\nMedians of {FLAGS.repeats} runs; lower is better.")


if __name__ == "__main__":
  app.run(main)
