"""What invertible backprop's reconstruction costs a trained model: its gradients against the stored mode's.

    python bench/gradient_error.py                                      # the shipped saved_models/digits/1
    python bench/gradient_error.py --model_dir=runs/digits --batches=8

For each of `--batches` test batches (digits' test split, with training's dequantisation noise) it computes the
mean negative log-likelihood's gradients with `backprop="stored"` and `"invertible"` from the same weights, and
prints the relative difference ||g_inv - g_stored|| / ||g_stored|| over all parameters, the largest per variable,
and the encode -> decode round trip error that causes them.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # pylint: disable=g-import-not-at-top
import tensorflow as tf  # pylint: disable=g-import-not-at-top

from glow_tf import Glow, data  # pylint: disable=g-import-not-at-top
from glow_tf.loading import load_model  # pylint: disable=g-import-not-at-top


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--model_dir", default=os.path.join(REPO, "saved_models", "digits", "1"))
  parser.add_argument("--dataset", default="digits")
  parser.add_argument("--batches", type=int, default=4)
  parser.add_argument("--batch_size", type=int, default=64)
  return parser.parse_args()


def gradient_function(glow):
  @tf.function
  def gradients(x):
    with tf.GradientTape() as tape:
      loss = -tf.reduce_mean(glow.log_prob(x))
    return tape.gradient(loss, glow.trainable_variables)
  return gradients


def main():
  args = parse_args()
  stored = load_model(args.model_dir).glow
  invertible = Glow(stored.config, backprop="invertible")
  for target, source in zip(invertible.trainable_variables, stored.trainable_variables):
    target.assign(source)
  stored_gradients, invertible_gradients = gradient_function(stored), gradient_function(invertible)
  batches = data.make_pipeline(args.dataset, stored.config, split="train", batch_size=args.batch_size, training=True)
  print(f"{args.model_dir}: {stored.config}\n")
  print("| batch | relative gradient difference | largest per variable | largest round-trip error |")
  print("| --- | --- | --- | --- |")
  for index, x in enumerate(batches.take(args.batches)):
    expected = [g.numpy() for g in stored_gradients(x)]
    got = [g.numpy() for g in invertible_gradients(x)]
    norm = np.sqrt(sum(np.sum(np.square(e)) for e in expected))
    total = np.sqrt(sum(np.sum(np.square(g - e)) for g, e in zip(got, expected))) / norm
    per_variable = max(np.linalg.norm(g - e) / max(np.linalg.norm(e), 1e-3 * norm) for g, e in zip(got, expected))
    round_trip = float(tf.reduce_max(tf.abs(stored.bijector.forward(tf.identity(stored.bijector.inverse(x))) - x)))
    print(f"| {index} | {total:.2e} | {per_variable:.2e} | {round_trip:.2e} |")


if __name__ == "__main__":
  main()
