"""Where sampling overflows: the generative direction of a model, layer by layer, on the seeds that fail.

    python bench/sample_overflow.py                                   # the shipped saved_models/digits/1
    python bench/sample_overflow.py --model_dir=runs/digits --requests=40 --temperature=1.0

It draws `--requests` batches of `--count` latents as the `sample` signature does (seed [s, 7], s = 0, 1, ...,
at `--temperature`), runs each through the model's bijectors one layer at a time in the generative direction
(TFP's forward: top prior, unsqueezes, flow steps as coupling^-1, 1x1 conv^-1 and ActNorm^-1, split priors),
and, for every image that comes out non-finite, reports the first layer at which it left a sane range
(`--sane`, largest |value|), the first at which it stopped being finite, and the smallest affine coupling scale
sigmoid(h + 2) it met on the way (the generative direction divides by it).
"""

import argparse
import collections
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # pylint: disable=g-import-not-at-top
import tensorflow as tf  # pylint: disable=g-import-not-at-top
import tensorflow_probability as tfp  # pylint: disable=g-import-not-at-top

from glow_tf import bijectors  # pylint: disable=g-import-not-at-top
from glow_tf.bijectors.affine_coupling import SCALE_OFFSET  # pylint: disable=g-import-not-at-top
from glow_tf.loading import load_model  # pylint: disable=g-import-not-at-top


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--model_dir", default=os.path.join(REPO, "saved_models", "digits", "1"))
  parser.add_argument("--requests", type=int, default=40)
  parser.add_argument("--count", type=int, default=64)
  parser.add_argument("--temperature", type=float, default=1.0)
  parser.add_argument("--sane", type=float, default=10.0, help="|value| beyond which a layer's output counts as "
                      "having left the range of model-space images (about [-0.5, 0.5]) and latents (a few units)")
  return parser.parse_args()


class Trace:
  """Per layer, in generative order: its name, each image's largest |value| after it, and coupling scales."""

  def __init__(self):
    self.layers, self.peaks, self.min_scales = [], [], []

  def record(self, name, x, min_scale=None):
    values = tf.reshape(tf.abs(x), [tf.shape(x)[0], -1])
    # NaN compares false: count it as infinite so that a NaN image is never "sane".
    peak = tf.where(tf.reduce_all(tf.math.is_finite(values), axis=1), tf.reduce_max(values, axis=1), np.inf)
    self.layers.append(name)
    self.peaks.append(peak.numpy())
    self.min_scales.append(None if min_scale is None else min_scale.numpy())


def generate(bijector, z, trace):
  """bijector.forward(z), one layer at a time, recording every layer's output in `trace`."""
  if isinstance(bijector, tfp.bijectors.Composition):  # tfb.Chain makes a _Chain, a Composition.
    for inner in reversed(bijector.bijectors):
      z = generate(inner, z, trace)
    return z
  if isinstance(bijector, bijectors.OnStayingHalf):
    stay, exited = tf.split(z, 2, axis=-1)
    return tf.concat([generate(bijector.bijector, stay, trace), exited], axis=-1)
  if isinstance(bijector, bijectors.FlowStep):
    z = coupling_forward(bijector.coupling, z, trace)
    z = bijector.mixing.forward(z)
    trace.record(bijector.mixing.name, z)
    z = bijector.actnorm.forward(z)
    trace.record(bijector.actnorm.name, z)
    return z
  z = bijector.forward(z)
  trace.record(bijector.name, z)
  return z


def coupling_forward(coupling, y, trace):
  """The coupling's generative direction, recording the smallest scale each image was divided by."""
  y_cond, y_change = tf.split(y, 2, axis=-1)
  h = coupling.network(y_cond)
  if h.shape[-1] == y_change.shape[-1]:  # Additive: no scale.
    x = tf.concat([y_cond, y_change - h], axis=-1)
    trace.record(coupling.name, x)
    return x
  shift, h_scale = tf.split(h, 2, axis=-1)
  scale = tf.sigmoid(h_scale + SCALE_OFFSET)
  x = tf.concat([y_cond, y_change / scale - shift], axis=-1)
  trace.record(coupling.name, x, tf.reduce_min(tf.reshape(scale, [tf.shape(scale)[0], -1]), axis=1))
  return x


def main():
  args = parse_args()
  glow = load_model(args.model_dir).glow
  shape = glow.config.image_shape
  failed_requests, failures = 0, []
  first_insane, first_nonfinite = collections.Counter(), collections.Counter()
  for request in range(args.requests):
    z = args.temperature * tf.random.stateless_normal([args.count, *shape], [request, 7], dtype=glow.config.dtype)
    trace = Trace()
    x = generate(glow.bijector, z, trace)
    # Layer by layer must be the model's own sample, or this traces something else (to rounding: the model fuses
    # ActNorm into the 1x1 convolution, which differs by ~0.3% on images that reach 1e7 on their way to inf).
    np.testing.assert_allclose(x.numpy(), glow.bijector.forward(z).numpy(), rtol=1e-2, atol=1e-4, equal_nan=True)
    peaks = np.stack(trace.peaks)  # [layers, images]
    bad = np.flatnonzero(~np.isfinite(peaks[-1]))
    failed_requests += bool(len(bad))
    for image in bad:
      insane = int(np.argmax(peaks[:, image] > args.sane))
      nonfinite = int(np.argmax(~np.isfinite(peaks[:, image])))
      scales = [s[image] for s in trace.min_scales[:nonfinite + 1] if s is not None]
      first_insane[trace.layers[insane]] += 1
      first_nonfinite[trace.layers[nonfinite]] += 1
      failures.append((request, image, trace.layers[insane], peaks[insane - 1, image] if insane else np.nan,
                       trace.layers[nonfinite], min(scales) if scales else np.nan))
  print(f"{args.model_dir}: {failed_requests} of {args.requests} requests of {args.count} at T={args.temperature:g} "
        f"hold a non-finite image; {len(failures)} images in all\n")
  print(f"| request | image | first layer past |x| > {args.sane:g} | |x| before it | first non-finite layer "
        f"| smallest coupling scale on the way |")
  print("| --- | --- | --- | --- | --- | --- |")
  for request, image, insane, before, nonfinite, scale in failures:
    print(f"| {request} | {image} | {insane} | {before:.3g} | {nonfinite} | {scale:.3g} |")
  print("\nFirst layer past the sane range, over all failing images:", dict(first_insane.most_common()))
  print("First non-finite layer:", dict(first_nonfinite.most_common()))


if __name__ == "__main__":
  main()
