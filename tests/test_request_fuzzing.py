"""Hostile requests to every signature of a served model: each is answered with well-formed, finite output or
refused with InvalidArgumentError and a message. None crashes the process, none returns non-finite numbers, and
none turns a NaN into pixels (answered images are checked against the model's own float output).

The requests are seeded random draws of what a client can send: every dtype, random ranks and shapes, empty
batches, huge counts and batches, NaN, inf, denormals, huge values, and pixels and labels out of range. They are
fed by the signatures' input names, as TF Serving feeds them; a missing or unknown name never reaches the graph
(TF Serving and the Python signature both refuse it by name), so it is not drawn here.
"""

import collections
import os

import numpy as np
import pytest
import tensorflow as tf

from glow_tf.latent_space import decode_latent
from glow_tf.loading import load_model
from glow_tf.pixels import to_pixels
from glow_tf.tracing import graph_function
from tests.tiny_run import REPO

REQUESTS_PER_SIGNATURE = 250
DTYPES = (tf.uint8, tf.int8, tf.int16, tf.int32, tf.int64, tf.float16, tf.bfloat16, tf.float32, tf.float64,
          tf.bool, tf.string, tf.complex64)
# The classes of request, most hostile first: a request is classed by its most hostile input.
HOSTILITY = ("any dtype and shape", "wrong shape", "count 0, huge or negative", "out of range",
             "NaN, inf, denormals or huge floats", "strings", "booleans", "complex", "finite floats", "in range")
SPECIALS = (np.nan, np.inf, -np.inf, 1e-42, -1e-42, 1e30, -1e30, 3.4e38, 0.0, -0.0)


class Client:
  """Draws requests for one model's signatures from a seeded generator."""

  def __init__(self, rng, config):
    self.rng, self.config = rng, config
    self.batch = None  # The request's batch size, once an input has drawn one.

  def tensor(self, spec):
    """A tensor for an input of this TensorSpec: half the time its own dtype and shape with hostile values, the
    rest anything at all. Returns (the tensor, the class of request it is)."""
    rng = self.rng
    roll = rng.random()
    if roll < 0.15:
      dtype, shape, kind = DTYPES[rng.integers(len(DTYPES))], self.any_shape(), "any dtype and shape"
    elif roll < 0.3:
      dtype, shape, kind = spec.dtype, self.any_shape(), "wrong shape"
    else:
      dtype, shape, kind = spec.dtype, self.right_shape(spec), None
    values, value_kind = self.values(dtype, shape, spec.name)
    return tf.constant(values, dtype) if dtype != tf.string else tf.constant(values), kind or value_kind

  def any_shape(self):
    rank = self.rng.integers(0, 6)
    return [int(self.rng.choice([0, 1, 2, 3, 7, 8, 9])) for _ in range(rank)]

  def right_shape(self, spec):
    dims = spec.shape.as_list()
    if dims and dims[0] is None:
      # Empty, small and now and then huge batches; most requests with labels send one per image.
      if self.batch is None or self.rng.random() < 0.2:
        self.batch = int(self.rng.choice([0, 1, 2, 5, 33, 500], p=[0.2, 0.2, 0.2, 0.2, 0.15, 0.05]))
      dims[0] = self.batch
    return dims

  def values(self, dtype, shape, name):
    rng, size = self.rng, int(np.prod(shape, dtype=np.int64))
    if dtype == tf.string:
      return np.array([b"\x00" * int(rng.integers(0, 4))] * size, dtype=object).reshape(shape), "strings"
    if dtype == tf.bool:
      return rng.random(shape) < 0.5, "booleans"
    if dtype.is_complex:
      return (rng.normal(size=shape) + 1j * rng.normal(size=shape)), "complex"
    roll = rng.random()
    if dtype.is_floating:
      if roll < 0.4:
        values = rng.normal(size=shape) * float(rng.choice([1e-3, 1.0, 3.0, 100.0]))
        return values.astype(np.float64), "finite floats"
      values = rng.normal(size=shape)
      if size:
        values.flat[rng.integers(0, size, max(1, size // 7))] = rng.choice(SPECIALS)
      return values, "NaN, inf, denormals or huge floats"
    # In range: pixels below pixel_levels, class ids below num_classes, small counts.
    low, high = {"images": (0, self.config.pixel_levels), "labels": (0, max(self.config.num_classes, 1))}.get(
        name, (0, 9))
    if roll < 0.5:
      return rng.integers(low, high, shape), "in range"
    info = np.iinfo(dtype.as_numpy_dtype)
    return rng.integers(info.min, info.max, shape, endpoint=True), "out of range"

  def request(self, signature):
    """{input name: tensor} for `signature` and the request's class: that of its most hostile input."""
    _, specs = signature.structured_input_signature
    inputs, kinds, self.batch = {}, [], None
    for name, spec in sorted(specs.items()):
      if name == "count" and self.rng.random() < 0.5:
        # Counts from none to far beyond what one request may ask for.
        count = int(self.rng.choice([0, 1, 3, 1024, 1025, 10**6, 2**31 - 1, -1, -2**31]))
        inputs[name], kind = tf.constant(count, tf.int32), "count 0, huge or negative"
      else:
        inputs[name], kind = self.tensor(spec)
      kinds.append(kind)
    if "count" in inputs and "labels" in inputs and self.rng.random() < 0.5:
      # Half the sample requests of a conditional model ask for as many images as they send labels.
      inputs["count"] = tf.constant(min(int(tf.size(inputs["labels"])), 2**31 - 1), tf.int32)
    return inputs, min(kinds, key=HOSTILITY.index)


def model_floats(glow):
  """{signature: the model's own float output for its inputs} for decode and sample, each traced once for any
  batch: eagerly, a Glow takes half a second a request, most of this test's time."""
  decode = graph_function(lambda latent, labels: decode_latent(glow, latent, labels), reduce_retracing=True)
  sample = graph_function(glow.sample, reduce_retracing=True)
  return {"decode": lambda inputs: decode(inputs["latent"], inputs.get("labels")),
          "sample": lambda inputs: sample(inputs["count"], inputs["temperature"], inputs.get("labels"), inputs["seed"])}


def checked_answer(name, outputs, inputs, floats, config):
  """Asserts that an answer is well formed, finite, and (for images) what the model's float output makes."""
  for key, value in outputs.items():
    value = value.numpy()
    if value.dtype == np.uint8:
      assert value.ndim == 4 and tuple(value.shape[1:]) == tuple(config.image_shape), (name, key, value.shape)
      assert value.max(initial=0) < config.pixel_levels, (name, key)
    else:
      assert np.all(np.isfinite(value)), (name, key, "non-finite output")
  if name in floats and outputs["images"].shape[0]:
    images = floats[name](inputs).numpy()
    assert np.all(np.isfinite(images)), f"pixels were returned for a non-finite {name}"
    assert np.array_equal(to_pixels(images, config.pixel_levels, config.n_bins).numpy(), outputs["images"].numpy())


# Huge floats sent as float16 overflow in the client's own cast, as they would in any client: expected.
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")


def fuzz(signatures, glow, requests_per_signature, seed):
  """Sends the requests; returns {(signature, class of request, "answered" or "refused"): count}."""
  client, floats = Client(np.random.default_rng(seed), glow.config), model_floats(glow)
  outcomes = collections.Counter()
  for name in sorted(signatures):
    for _ in range(requests_per_signature):
      inputs, kind = client.request(signatures[name])
      try:
        outputs = signatures[name](**inputs)
      except tf.errors.InvalidArgumentError as error:
        assert error.message.strip(), (name, kind)
        outcomes[name, kind, "refused"] += 1
        continue
      checked_answer(name, outputs, inputs, floats, glow.config)
      outcomes[name, kind, "answered"] += 1
  print("\n".join(f"| {name} | {kind} | {how} | {count} |" for (name, kind, how), count in sorted(outcomes.items())))
  for name in signatures:
    sent = sum(count for (signature, _, _), count in outcomes.items() if signature == name)
    answered = sum(count for (signature, _, how), count in outcomes.items() if signature == name and how == "answered")
    # Some of each: a model that refuses everything would pass the checks above.
    assert sent == requests_per_signature and 0 < answered < sent, (name, answered)
  return outcomes


@pytest.mark.slow
def test_hostile_requests_to_the_shipped_model_are_answered_or_refused_cleanly():
  path = os.path.join(REPO, "saved_models", "digits", "1")
  fuzz(tf.saved_model.load(path).signatures, load_model(path).glow, REQUESTS_PER_SIGNATURE, seed=2026)


def test_hostile_labels_to_a_conditional_model_are_answered_or_refused_cleanly(conditional_saved_model):
  glow, signatures, _ = conditional_saved_model
  fuzz(signatures, glow, 100, seed=7)
