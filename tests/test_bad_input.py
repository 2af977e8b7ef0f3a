"""Table-driven: every bad input to the public API, the command line and config.json gets a clear error."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

import train as train_cli
from glow_tf import Glow, GlowConfig
from glow_tf.training import TrainConfig

TINY = dict(image_shape=(4, 4, 3), levels=2, steps_per_level=1, hidden_channels=4)


@pytest.fixture(scope="module")
def glow():
  return Glow(GlowConfig(**TINY))


@pytest.fixture(scope="module")
def conditional():
  return Glow(GlowConfig(**TINY, num_classes=3))


def images(batch=2):
  return tf.zeros([batch, 4, 4, 3])


def good_latents(model):
  return model.encode(images())


API_CASES = [
    # GlowConfig
    ("config: image not divisible", lambda g, c: GlowConfig(image_shape=(30, 30, 3)), ValueError, "use 24 or 32"),
    ("config: 2-D image_shape", lambda g, c: GlowConfig(image_shape=(32, 32)), ValueError, "height, width, channels"),
    ("config: string image_shape", lambda g, c: GlowConfig(image_shape="big"), ValueError, "image_shape"),
    ("config: zero channels", lambda g, c: GlowConfig(image_shape=(8, 8, 0)), ValueError, "positive sizes"),
    ("config: float levels", lambda g, c: GlowConfig(levels=2.0), ValueError, "levels must be a whole number"),
    ("config: bool steps", lambda g, c: GlowConfig(steps_per_level=True), ValueError, "steps_per_level"),
    ("config: unknown coupling", lambda g, c: GlowConfig(coupling="exp"), ValueError, "'affine', 'additive'"),
    ("config: unknown permutation", lambda g, c: GlowConfig(permutation="x"), ValueError, "'lu', 'conv'"),
    ("config: n_bits 0", lambda g, c: GlowConfig(n_bits=0), ValueError, "from 1 to 8"),
    ("config: pixel_levels 300", lambda g, c: GlowConfig(pixel_levels=300), ValueError, "from 2 to 256"),
    ("config: dtype bfloat16", lambda g, c: GlowConfig(dtype="bfloat16"), ValueError, "'float32', 'float64'"),
    # log_prob
    ("log_prob: rank 2", lambda g, c: g.log_prob(tf.zeros([4, 4])), ValueError, r"\[batch\.\.\., 4, 4, 3\]"),
    ("log_prob: wrong channels", lambda g, c: g.log_prob(tf.zeros([2, 4, 4, 1])), ValueError, r"4, 4, 3"),
    ("log_prob: wrong size", lambda g, c: g.log_prob(tf.zeros([2, 8, 8, 3])), ValueError, r"4, 4, 3"),
    ("log_prob: uint8 pixels", lambda g, c: g.log_prob(tf.zeros([2, 4, 4, 3], tf.uint8)), TypeError, "preprocess"),
    ("log_prob: float64 into float32", lambda g, c: g.log_prob(tf.zeros([2, 4, 4, 3], tf.float64)), TypeError,
     "float32"),
    ("log_prob: labels for unconditional", lambda g, c: g.log_prob(images(), tf.constant([0, 1])), ValueError,
     "unconditional"),
    ("log_prob: missing labels", lambda g, c: c.log_prob(images()), ValueError, "pass labels"),
    ("log_prob: class id too large", lambda g, c: c.log_prob(images(), tf.constant([0, 3])),
     tf.errors.InvalidArgumentError, r"Class ids must be in \[0, 3\)"),
    ("log_prob: negative class id", lambda g, c: c.log_prob(images(), tf.constant([-1, 0])),
     tf.errors.InvalidArgumentError, "Class ids must be >= 0"),
    ("log_prob: multi-hot of wrong width", lambda g, c: c.log_prob(images(), tf.zeros([2, 5])), ValueError,
     "3 entries"),
    # sample
    ("sample: negative count", lambda g, c: g.sample(-1), ValueError, "must be >= 0"),
    ("sample: negative count tensor", lambda g, c: g.sample(tf.constant(-3)), tf.errors.InvalidArgumentError,
     "must be >= 0"),
    ("sample: negative temperature", lambda g, c: g.sample(2, temperature=-0.5), ValueError, "temperature"),
    ("sample: infinite temperature", lambda g, c: g.sample(2, temperature=float("inf")), ValueError, "temperature"),
    ("sample: NaN temperature tensor", lambda g, c: g.sample(2, temperature=tf.constant(np.nan)),
     tf.errors.InvalidArgumentError, "temperature"),
    ("sample: bad seed shape", lambda g, c: g.sample(2, seed=tf.constant([1, 2, 3])), tf.errors.InvalidArgumentError,
     "seed"),
    ("sample: conditional without labels", lambda g, c: c.sample(2), ValueError, "pass labels"),
    # encode / decode
    ("encode: wrong shape", lambda g, c: g.encode(tf.zeros([2, 4, 4, 2])), ValueError, r"4, 4, 3"),
    ("decode: too few latents", lambda g, c: g.decode(good_latents(g)[:1]), ValueError, "Expected 2 latents"),
    ("decode: wrong latent shape", lambda g, c: g.decode([tf.zeros([2, 2, 2, 5]), good_latents(g)[1]]), ValueError,
     r"Latent 0 must have shape \[batch, 2, 2, 6\]"),
    ("decode: latent without batch", lambda g, c: g.decode([tf.zeros([2, 2, 6]), good_latents(g)[1]]), ValueError,
     "Latent 0"),
]


@pytest.mark.parametrize("name, call, error, message", API_CASES, ids=[case[0] for case in API_CASES])
def test_public_api_refuses_bad_input_clearly(glow, conditional, name, call, error, message):
  with pytest.raises(error, match=message):
    call(glow, conditional)


CLI_CASES = [
    (["--levels=two"], "levels"),
    (["--levels=0"], "levels must be a whole number >= 1"),
    (["--steps_per_level=-4"], "steps_per_level"),
    (["--hidden_channels=0"], "hidden_channels"),
    (["--image_size=-8"], "image_size|image_shape"),
    (["--coupling=exp"], "coupling"),
    (["--permutation=random"], "permutation"),
    (["--n_bits=9"], "n_bits"),
    (["--dtype=float16"], "dtype"),
    (["--dataset=imagenet"], "Unknown dataset 'imagenet'"),
    (["--dataset=folder:/nonexistent/images"], "nonexistent"),
    (["--batch_size=0"], "batch_size"),
    (["--batch_size=big"], "batch_size"),
    (["--learning_rate=-1"], "learning_rate must be positive"),
    (["--learning_rate=fast"], "learning_rate"),
    (["--warmup_steps=-1"], "warmup_steps"),
    (["--optimizer=sgd"], "optimizer"),
    (["--clip_gradient_norm=-2"], "clip_gradient_norm"),
    (["--steps=0"], "steps must be a whole number >= 1"),
    (["--steps=10", "--epochs=2"], "not both"),
    (["--epochs=0"], "--epochs needs a positive number"),
    (["--checkpoint_every=0"], "checkpoint_every"),
    (["--eval_every=-1"], "eval_every"),
    (["--temperatures=hot"], "--temperatures takes numbers"),
    (["--temperatures=-1"], "temperatures"),
    (["--num_samples=0"], "num_samples"),
    (["--strategy=horovod"], "strategy"),
    (["--init_batch_size=0"], "init_batch_size"),
    (["--max_nonfinite_steps=0"], "max_nonfinite_steps"),
    (["--conditional", "--dataset=folder:/nonexistent/images"], "nonexistent|no labels"),
]


@pytest.mark.parametrize("flags, message", CLI_CASES, ids=[" ".join(case[0]) for case in CLI_CASES])
def test_train_flags_are_validated_before_training(tmp_path, flags, message):
  from absl.flags import Error as FlagsError  # pylint: disable=g-import-not-at-top
  from glow_tf.data import DatasetUnavailableError  # pylint: disable=g-import-not-at-top

  train_cli.FLAGS.unparse_flags()
  with pytest.raises((FlagsError, ValueError, DatasetUnavailableError), match=message):
    train_cli.FLAGS(["train.py", f"--model_dir={tmp_path / 'run'}", *flags])
    train_cli.configs_from_flags()
  train_cli.FLAGS.unparse_flags()
  assert not os.path.exists(tmp_path / "run")


def write_config(path, fields):
  path.write_text(json.dumps(fields))
  return str(path)


GOOD = json.loads(GlowConfig(**TINY).to_json())
CONFIG_FILE_CASES = [
    ("missing", None, FileNotFoundError, "No Glow config"),
    ("not JSON", "{levels: 3", ValueError, "not valid JSON"),
    ("a list", [1, 2], ValueError, "must be a JSON object"),
    ("from a newer version", {**GOOD, "flow_depth": 3}, ValueError, "unknown fields \\['flow_depth'\\]"),
    ("edited: levels -1", {**GOOD, "levels": -1}, ValueError, "levels must be a whole number"),
    ("edited: levels as text", {**GOOD, "levels": "3"}, ValueError, "levels must be a whole number"),
    ("edited: image too small", {**GOOD, "image_shape": [2, 2, 3]}, ValueError, "not divisible"),
    ("edited: coupling typo", {**GOOD, "coupling": "afine"}, ValueError, "Unknown coupling"),
    ("edited: image_shape null", {**GOOD, "image_shape": None}, ValueError, "image_shape"),
]


@pytest.mark.parametrize("name, content, error, message", CONFIG_FILE_CASES, ids=[c[0] for c in CONFIG_FILE_CASES])
def test_config_json_problems_are_reported_clearly(tmp_path, name, content, error, message):
  path = tmp_path / "config.json"
  if content is not None:
    path.write_text(content if isinstance(content, str) else json.dumps(content))
  with pytest.raises(error, match=message):
    GlowConfig.load(str(path))


def test_count_of_bad_inputs_tried():
  total = len(API_CASES) + len(CLI_CASES) + len(CONFIG_FILE_CASES)
  print(f"\nbad inputs tried: {len(API_CASES)} API, {len(CLI_CASES)} command-line, "
        f"{len(CONFIG_FILE_CASES)} config.json; {total} in all")
  assert total >= 60
