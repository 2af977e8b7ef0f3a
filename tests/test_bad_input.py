"""Table-driven: every bad input to the public API, the command lines (train.py, evaluate.py), config.json and the
SavedModel signatures gets a clear error, never a hang, a crash or a NaN answer."""

import json
import os
import re

import numpy as np
import pytest
import tensorflow as tf
from absl import app
from absl import flags as absl_flags

from glow_tf import Glow, GlowConfig
from glow_tf.export import MAX_SAMPLE_COUNT
from tests import cli
from tests.data.helpers import write_images
from tests.tiny_export import SEED, SHAPE, pixels

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
    ("config: scale floor 1", lambda g, c: GlowConfig(coupling_scale_floor=1.0), ValueError, r"in \[0, 1\), got 1.0"),
    ("config: scale floor text", lambda g, c: GlowConfig(coupling_scale_floor="0.1"), ValueError, "a number in"),
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
    (["--channels=2", "--dataset=folder:/nonexistent/images"], "channels must be 1 .grayscale. or 3 .RGB., got 2"),
    (["--channels=3"], "digits images have 1 channel.s., not 3; only folder:PATH"),
    (["--preset=fast"], "preset"),
    (["--ema_decay=1"], "ema_decay must be in \\[0, 1\\)"),
    (["--ema_decay=-0.5"], "ema_decay must be in \\[0, 1\\)"),
    (["--learning_rate_decay=linear"], "learning_rate_decay"),
    (["--weight_decay=-1"], "weight_decay must be >= 0"),
]


@pytest.mark.parametrize("flags, message", CLI_CASES, ids=[" ".join(case[0]) for case in CLI_CASES])
def test_train_flags_are_validated_before_training(tmp_path, flags, message):
  from glow_tf.data import DatasetUnavailableError  # pylint: disable=g-import-not-at-top

  with pytest.raises((absl_flags.Error, ValueError, DatasetUnavailableError), match=message):
    train, _ = cli.parse("train", ["train.py", f"--model_dir={tmp_path / 'run'}", *flags])
    train.configs_from_flags()
  assert not os.path.exists(tmp_path / "run")


# evaluate.py, in-process (tests/test_evaluate_cli.py runs one case as a user sees it). Placeholders: {model} and
# {conditional}, the tiny SavedModels of conftest.py (they record no dataset); {folder}, RGB images that fit
# neither; {tmp}, an empty directory.
MODEL = "--model_dir={model}"
EVALUATE_CASES = [
    # Flags absl refuses.
    (["--mode=score", MODEL], "value should be one of <bpd|samples|reconstruct"),
    (["bpd", MODEL, "--batch_size=big"], "--batch_size=big: invalid literal for int"),
    (["samples", MODEL, "--num_samples=1.5"], "--num_samples=1.5: invalid literal for int"),
    (["samples", MODEL, "--seed=abc"], "--seed=abc"),
    (["manipulate", MODEL, "--manipulation_scale=large"], "--manipulation_scale=large: could not convert"),
    (["export", MODEL, "--export_version=v2"], "--export_version=v2"),
    (["samples", MODEL, "--temperature=0.7"], "Unknown command line flag 'temperature'. Did you mean: temperatures"),
    # The mode.
    ([MODEL], "No mode given; choose one or more of bpd, samples, reconstruct, interpolate, manipulate, export"),
    (["score", MODEL], "Unknown mode 'score'; choose one or more of bpd"),
    (["bpd", "scores", MODEL], "Unknown mode 'scores'"),
    (["bpd", "samples", "bpd", MODEL], "Give each mode once; got bpd samples bpd"),
    (["bpd", "--mode=samples", MODEL], "Give the modes as arguments or one as --mode, not both; got bpd and "
                                       "--mode=samples"),
    (["samples", "manipulate", MODEL], "manipulate needs --attribute"),
    # Values out of range, checked before any model is loaded.
    (["bpd"], "--model_dir is required"),
    (["bpd", MODEL, "--batch_size=0"], "--batch_size must be >= 1, got 0"),
    (["bpd", MODEL, "--num_dequantizations=0"], "--num_dequantizations must be >= 1"),
    (["bpd", MODEL, "--eval_batches=-1"], r"--eval_batches must be >= 0 \(0: all\)"),
    (["samples", MODEL, "--num_samples=-1"], "--num_samples must be >= 1, got -1"),
    (["samples", MODEL, "--temperatures=-0.5"], "--temperatures must be numbers >= 0, got -0.5"),
    (["samples", MODEL, "--temperatures="], "--temperatures must be numbers >= 0, got ."),
    (["samples", MODEL, "--temperatures=hot"], "--temperatures takes numbers separated by commas"),
    (["samples", MODEL, "--temperatures=0.7,nan"], "--temperatures takes numbers .*none NaN or infinite; got 0.7,nan"),
    (["samples", MODEL, "--temperatures=inf"], "none NaN or infinite; got inf"),
    (["reconstruct", MODEL, "--num_images=0"], "--num_images must be >= 1"),
    (["interpolate", MODEL, "--num_pairs=0"], "--num_pairs must be >= 1"),
    (["interpolate", MODEL, "--num_steps=1"], r"--num_steps must be >= 2 \(both ends of the line\), got 1"),
    (["manipulate", MODEL], "manipulate needs --attribute"),
    (["manipulate", MODEL, "--attribute=3", "--num_direction_images=0"], "--num_direction_images must be >= 1"),
    (["manipulate", MODEL, "--attribute=3", "--alphas="], "--alphas needs at least one strength"),
    (["manipulate", MODEL, "--attribute=3", "--alphas=up"], "--alphas takes numbers separated by commas"),
    (["manipulate", MODEL, "--attribute=3", "--alphas=-1,nan"], "--alphas .*none NaN or infinite"),
    (["manipulate", MODEL, "--attribute=3", "--manipulation_scale=inf"], "--manipulation_scale must be a finite"),
    (["manipulate", MODEL, "--attribute=3", "--manipulation_scale=nan"], "--manipulation_scale must be a finite"),
    # The model and its data.
    (["bpd", "--model_dir=/no/such/run"], "No model directory at /no/such/run"),
    (["bpd", "--model_dir={tmp}"], "No Glow config at .*config.json"),
    (["bpd", MODEL], "does not record its dataset .*name it with --dataset"),
    (["manipulate", MODEL, "--attribute=3"], "does not record its dataset"),
    (["manipulate", MODEL, "--dataset=digits", "--attribute=Smiling"],
     "Unknown class 'Smiling' for digits; choose one of 0, 1, 2"),
    (["bpd", MODEL, "--dataset=imagenet"], "Unknown dataset 'imagenet'"),
    (["bpd", MODEL, "--dataset=mnist"], "mnist images come at image_size 32 or 28, not 8"),
    (["bpd", MODEL, "--dataset=folder:/no/such/images"], "/no/such/images is not a directory"),
    # A folder's images are converted to the model's channels; its pixel levels cannot be.
    (["interpolate", MODEL, "--dataset=folder:{folder}"],
     r"The model takes images of shape \(8, 8, 1\) with 17 pixel levels, but folder:.* gives \(8, 8, 1\) with 256"),
    # Values the model cannot invert: an error, not NaN drawn as pixels.
    (["samples", MODEL, "--temperatures=0.5,10000", "--num_samples=4"],
     r"4 at T=10000 are not finite \(NaN or inf\) and are drawn black.*use lower temperatures"),
    (["manipulate", MODEL, "--dataset=digits", "--attribute=3", "--alphas=1e5", "--num_images=2",
      "--num_direction_images=60"], r"2 of 2 decoded images are not finite \(NaN or inf\)"),
    # export.
    (["export", MODEL, "--export_dir={tmp}/export"], "is a SavedModel, which records no training step: choose a version"),
    (["export", MODEL, "--export_dir={tmp}/export", "--export_version=0"], "whole number >= 1"),
    (["export", MODEL, "--export_dir={model_base}", "--export_version=1"], "already exists"),
    (["samples", MODEL, "--num_samples=1", "--output_dir=/dev/null/eval"], "Not a directory"),
]


@pytest.fixture(scope="module")
def rgb_folder(tmp_path_factory):
  root = tmp_path_factory.mktemp("rgb")
  write_images(root, [(8, 8), (8, 8)])
  return str(root)


@pytest.mark.parametrize("argv, message", EVALUATE_CASES, ids=[" ".join(case[0]) for case in EVALUATE_CASES])
def test_evaluate_flags_get_a_clear_error(saved_model, conditional_saved_model, rgb_folder, tmp_path, capsys, argv,
                                          message):
  path = saved_model[2]
  places = dict(model=path, model_base=os.path.dirname(path), conditional=conditional_saved_model[2],
                folder=rgb_folder, tmp=tmp_path)
  argv = ["evaluate.py", f"--output_dir={tmp_path / 'eval'}", *(arg.format(**places) for arg in argv)]
  try:
    evaluate, positional = cli.parse("evaluate", argv)
    exit_code = evaluate.main(positional)
  except (absl_flags.Error, app.UsageError) as error:  # What absl prints, with the usage, and exits 1 for.
    said = str(error)
  else:  # An error the script prints itself, as "evaluate.py: ...", exiting 1.
    assert exit_code == 1
    said = capsys.readouterr().err
  assert re.search(message, said), said


# The SavedModel signatures, as TF Serving or a Python client calls them: `s` the tiny unconditional model's
# signatures, `c` those of the one conditional on 10 classes (class ids).
def _sample(signatures, count=2, temperature=0.7, seed=SEED, **labels):
  return signatures["sample"](count=tf.constant(count), temperature=tf.constant(temperature), seed=seed, **labels)


def _log_prob(signatures, images, **labels):
  return signatures["log_prob"](images=images, **labels)


INVALID = tf.errors.InvalidArgumentError
SAVED_MODEL_CASES = [
    # sample: counts, temperatures and seeds.
    ("sample: negative count", lambda s, c: _sample(s, count=-1), INVALID, "number of samples must be >= 0"),
    ("sample: too many samples", lambda s, c: _sample(s, count=MAX_SAMPLE_COUNT + 1), INVALID,
     f"at most {MAX_SAMPLE_COUNT} per request"),
    ("sample: the largest int32 count", lambda s, c: _sample(s, count=2**31 - 1), INVALID, "at most"),
    ("sample: float count", lambda s, c: _sample(s, count=2.0), INVALID, "int32 tensor but is a float tensor"),
    ("sample: count as a vector", lambda s, c: _sample(s, count=[2]), INVALID, "should be a scalar: \\[1\\]"),
    ("sample: negative temperature", lambda s, c: _sample(s, temperature=-0.5), INVALID,
     "temperature must be a finite number"),
    ("sample: NaN temperature", lambda s, c: _sample(s, temperature=float("nan")), INVALID, "finite number"),
    ("sample: infinite temperature", lambda s, c: _sample(s, temperature=float("inf")), INVALID, "finite number"),
    ("sample: float64 temperature", lambda s, c: _sample(s, temperature=tf.constant(1.0, tf.float64)), INVALID,
     "float tensor but is a double tensor"),
    ("sample: temperature per sample", lambda s, c: _sample(s, temperature=[1.0, 0.5]), INVALID,
     "must be a scalar, but it has shape \\[2\\]"),
    ("sample: a temperature the model cannot invert", lambda s, c: _sample(s, temperature=1e4), INVALID,
     "The model's images are not finite.*use a lower temperature"),
    ("sample: int64 seed", lambda s, c: _sample(s, seed=tf.constant([1, 2], tf.int64)), INVALID,
     "int32 tensor but is a int64 tensor"),
    ("sample: seed of 3 numbers", lambda s, c: _sample(s, seed=tf.constant([1, 2, 3])), INVALID,
     "seed must have shape \\[2\\], not \\[3\\]"),
    ("sample: no seed", lambda s, c: s["sample"](count=tf.constant(2), temperature=tf.constant(1.0)), TypeError,
     "missing a required argument: 'seed'"),
    # log_prob and encode: images.
    ("log_prob: float images", lambda s, c: _log_prob(s, tf.zeros([1, *SHAPE])), INVALID,
     "uint8 tensor but is a float tensor"),
    ("encode: int32 images", lambda s, c: s["encode"](images=tf.zeros([1, *SHAPE], tf.int32)), INVALID,
     "uint8 tensor but is a int32 tensor"),
    ("log_prob: smaller images", lambda s, c: _log_prob(s, tf.zeros([1, 4, 4, 1], tf.uint8)), INVALID,
     r"images must have shape \[batch, 8, 8, 1\]; got\] \[1 4 4 1\]"),
    ("log_prob: one image without a batch", lambda s, c: _log_prob(s, tf.zeros(SHAPE, tf.uint8)), INVALID,
     r"images must have shape \[batch, 8, 8, 1\]; got\] \[8 8 1\]"),
    ("encode: rank 5", lambda s, c: s["encode"](images=tf.zeros([2, 1, *SHAPE], tf.uint8)), INVALID,
     r"images must have shape \[batch, 8, 8, 1\]; got\] \[2 1 8 8 1\]"),
    ("log_prob: a scalar", lambda s, c: _log_prob(s, tf.constant(3, tf.uint8)), INVALID,
     r"images must have shape \[batch, 8, 8, 1\]; got\] \[\]"),
    ("log_prob: a pixel beyond the levels", lambda s, c: _log_prob(s, tf.fill([1, *SHAPE], tf.constant(17, tf.uint8))),
     INVALID, r"pixels in \[0, 17\)"),
    ("encode: 8-bit pixels into 17 levels",
     lambda s, c: s["encode"](images=tf.fill([1, *SHAPE], tf.constant(255, tf.uint8))), INVALID, r"pixels in \[0, 17\)"),
    # decode: latents.
    ("decode: NaN latent", lambda s, c: s["decode"](latent=tf.fill([1, *SHAPE], float("nan"))), INVALID,
     "latent must be finite"),
    ("decode: infinite latent", lambda s, c: s["decode"](latent=tf.fill([1, *SHAPE], float("-inf"))), INVALID,
     "latent must be finite"),
    ("decode: a latent too far out to invert", lambda s, c: s["decode"](latent=tf.fill([1, *SHAPE], 1e5)), INVALID,
     "The model's images are not finite"),
    ("decode: uint8 latent", lambda s, c: s["decode"](latent=tf.zeros([1, *SHAPE], tf.uint8)), INVALID,
     "float tensor but is a uint8 tensor"),
    ("decode: latent without a batch", lambda s, c: s["decode"](latent=tf.zeros(SHAPE)), INVALID,
     r"latent must have shape \[batch, 8, 8, 1\]"),
    # Labels.
    ("log_prob: labels for an unconditional model", lambda s, c: _log_prob(s, pixels(2), labels=tf.constant([0, 1])),
     TypeError, "unexpected keyword argument 'labels'"),
    ("log_prob: no labels for a conditional model", lambda s, c: _log_prob(c, pixels(2)), TypeError,
     "missing a required argument: 'labels'"),
    ("log_prob: class id out of range", lambda s, c: _log_prob(c, pixels(2), labels=tf.constant([0, 10])), INVALID,
     r"Class ids must be in \[0, 10\)"),
    ("log_prob: negative class id", lambda s, c: _log_prob(c, pixels(2), labels=tf.constant([-1, 0])), INVALID,
     "Class ids must be >= 0"),
    ("log_prob: float class ids", lambda s, c: _log_prob(c, pixels(2), labels=tf.constant([0.0, 1.0])), INVALID,
     "int32 tensor but is a float tensor"),
    ("log_prob: labels per image", lambda s, c: _log_prob(c, pixels(2), labels=tf.constant([1])), INVALID,
     "labels must have one entry per image"),
    ("log_prob: class ids as a column", lambda s, c: _log_prob(c, pixels(2), labels=tf.constant([[1], [2]])), INVALID,
     r"labels must have shape \[batch\]; got\] \[2 1\]"),
    ("log_prob: one class id for all", lambda s, c: _log_prob(c, pixels(2), labels=tf.constant(1)), INVALID,
     r"labels must have shape \[batch\]; got\] \[\]"),
    ("encode: labels for an empty batch",
     lambda s, c: c["encode"](images=tf.zeros([0, *SHAPE], tf.uint8), labels=tf.constant([1])), INVALID,
     "one entry per image"),
    ("sample: labels per sample", lambda s, c: _sample(c, count=3, labels=tf.constant([1, 2])), INVALID,
     "labels must have count entries"),
    ("sample: labels as a matrix", lambda s, c: _sample(c, labels=tf.constant([[1, 2], [3, 4]])), INVALID,
     r"labels must have shape \[batch\]"),
    ("sample: class id out of range", lambda s, c: _sample(c, labels=tf.constant([1, 12])), INVALID,
     r"Class ids must be in \[0, 10\)"),
    ("decode: labels per latent", lambda s, c: c["decode"](latent=tf.zeros([2, *SHAPE]), labels=tf.constant([1])),
     INVALID, "labels must have one entry per image"),
]


@pytest.mark.parametrize("name, request_, error, message", SAVED_MODEL_CASES, ids=[c[0] for c in SAVED_MODEL_CASES])
def test_saved_model_signatures_refuse_bad_requests_clearly(saved_model, conditional_saved_model, name, request_,
                                                            error, message):
  with pytest.raises(error, match=message):
    request_(saved_model[1], conditional_saved_model[1])


NONE = tf.zeros([0, *SHAPE], tf.uint8)
NO_LABELS = tf.zeros([0], tf.int32)
EMPTY_REQUESTS = [
    ("sample: count 0", lambda s, c: _sample(s, count=0), {"images": (0, *SHAPE)}),
    ("log_prob: no images", lambda s, c: _log_prob(s, NONE), {"log_prob": (0,), "bits_per_dim": (0,)}),
    ("encode: no images", lambda s, c: s["encode"](images=NONE),
     {"latent": (0, *SHAPE), "level0": (0, 4, 4, 2), "level1": (0, 2, 2, 8)}),
    ("decode: no latents", lambda s, c: s["decode"](latent=tf.zeros([0, *SHAPE])), {"images": (0, *SHAPE)}),
    ("conditional log_prob: no images", lambda s, c: _log_prob(c, NONE, labels=NO_LABELS), {"log_prob": (0,)}),
    ("conditional sample: count 0", lambda s, c: _sample(c, count=0, labels=NO_LABELS), {"images": (0, *SHAPE)}),
]


@pytest.mark.parametrize("name, request_, shapes", EMPTY_REQUESTS, ids=[case[0] for case in EMPTY_REQUESTS])
def test_empty_batches_get_empty_answers(saved_model, conditional_saved_model, name, request_, shapes):
  outputs = request_(saved_model[1], conditional_saved_model[1])
  for key, shape in shapes.items():
    assert outputs[key].shape == shape, key
  if "images" in outputs:
    assert outputs["images"].dtype == tf.uint8


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
  counts = {"API": len(API_CASES), "train.py": len(CLI_CASES), "evaluate.py": len(EVALUATE_CASES),
            "config.json": len(CONFIG_FILE_CASES), "SavedModel": len(SAVED_MODEL_CASES) + len(EMPTY_REQUESTS)}
  total = sum(counts.values())
  print(f"\nbad inputs tried: {', '.join(f'{count} {name}' for name, count in counts.items())}; {total} in all")
  assert total >= 160
