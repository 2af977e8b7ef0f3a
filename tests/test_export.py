"""The SavedModel export: signatures against the in-process model, bad requests, the TF Serving layout, and proof
that it serves without TensorFlow Probability (saved_model_cli and a fresh TFP-free process)."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import Glow, GlowConfig
from glow_tf.export import DEFAULT_SIGNATURE, export_model, export_saved_model
from glow_tf.latent_space import encode_pixels
from glow_tf.loading import load_model
from glow_tf.pixels import bin_centres, bits_per_dim, to_pixels
from tests.tiny_export import SEED, SHAPE, TINY, pixels, trained_glow
from tests.tiny_run import REPO, STEPS, run_script, train_tiny_model

# The tiny exported models are the `saved_model` and `conditional_saved_model` fixtures of conftest.py; bad
# requests to their signatures are in the table of tests/test_bad_input.py.


def test_the_layout_is_tf_servings_with_the_config_inside_the_version(saved_model):
  glow, _, path = saved_model
  assert os.path.basename(path) == "1"
  assert sorted(os.listdir(os.path.dirname(path))) == ["1"]  # No staging directory left behind.
  assert {"saved_model.pb", "variables", "config.json"} <= set(os.listdir(path))
  assert GlowConfig.load(os.path.join(path, "config.json")) == glow.config


def test_the_signatures_and_their_names(saved_model, conditional_saved_model):
  _, signatures, _ = saved_model
  assert set(signatures) == {"log_prob", "sample", "encode", "decode", "serving_default"}
  inputs = lambda name: {key: (spec.dtype, spec.shape.as_list())
                         for key, spec in signatures[name].structured_input_signature[1].items()}
  assert inputs("log_prob") == {"images": (tf.uint8, [None, *SHAPE])}
  assert inputs("sample") == {"count": (tf.int32, []), "temperature": (tf.float32, []), "seed": (tf.int32, [2])}
  assert inputs("encode") == {"images": (tf.uint8, [None, *SHAPE])}
  assert inputs("decode") == {"latent": (tf.float32, [None, *SHAPE])}
  assert set(signatures["log_prob"].structured_outputs) == {"log_prob", "bits_per_dim"}
  assert set(signatures["sample"].structured_outputs) == {"images"}
  assert set(signatures["encode"].structured_outputs) == {"latent", "level0", "level1"}
  assert set(signatures["decode"].structured_outputs) == {"images"}
  assert DEFAULT_SIGNATURE == "log_prob"
  assert inputs("serving_default") == inputs("log_prob")
  labels = conditional_saved_model[1]["sample"].structured_input_signature[1]["labels"]
  assert (labels.dtype, labels.shape.as_list()) == (tf.int32, [None])


def test_log_prob_scores_bin_centres_as_the_model_does(saved_model):
  glow, signatures, _ = saved_model
  images = pixels()
  served = signatures["log_prob"](images=images)
  expected = glow.log_prob(bin_centres(images, 17, 17)).numpy()
  np.testing.assert_allclose(served["log_prob"], expected, rtol=1e-5, atol=1e-4)
  np.testing.assert_allclose(served["bits_per_dim"], bits_per_dim(expected, 64, 17), rtol=1e-5)
  np.testing.assert_array_equal(signatures["log_prob"](images=images)["log_prob"], served["log_prob"])
  np.testing.assert_array_equal(signatures["serving_default"](images=images)["log_prob"], served["log_prob"])


def test_sample_draws_the_models_images_reproducibly_from_a_seed(saved_model):
  glow, signatures, _ = saved_model
  served = signatures["sample"](count=tf.constant(6), temperature=tf.constant(0.7), seed=SEED)["images"].numpy()
  assert served.shape == (6, *SHAPE) and served.dtype == np.uint8 and served.max() < 17
  expected = to_pixels(glow.sample(6, 0.7, seed=SEED), 17, 17).numpy()
  assert np.mean(served == expected) > 0.99  # Graph and eager round differently only at a bin's edge.
  again = signatures["sample"](count=tf.constant(6), temperature=tf.constant(0.7), seed=SEED)["images"]
  np.testing.assert_array_equal(again, served)
  other = signatures["sample"](count=tf.constant(6), temperature=tf.constant(0.7), seed=tf.constant([5, 6]))
  assert not np.array_equal(other["images"], served)


def test_encode_and_decode_round_trip_pixels(saved_model):
  glow, signatures, _ = saved_model
  images = pixels()
  encoded = signatures["encode"](images=images)
  np.testing.assert_allclose(encoded["latent"], encode_pixels(glow, images), rtol=1e-4, atol=1e-4)
  levels = glow.split_latents(encoded["latent"])
  for index, level in enumerate(levels):
    np.testing.assert_array_equal(encoded[f"level{index}"], level)
  decoded = signatures["decode"](latent=encoded["latent"])["images"]
  np.testing.assert_array_equal(decoded, images)


def test_a_sample_can_be_scored_and_encoded_as_it_is(saved_model):
  _, signatures, _ = saved_model
  images = signatures["sample"](count=tf.constant(3), temperature=tf.constant(1.0), seed=SEED)["images"]
  assert np.all(np.isfinite(signatures["log_prob"](images=images)["bits_per_dim"]))
  latent = signatures["encode"](images=images)["latent"]
  np.testing.assert_array_equal(signatures["decode"](latent=latent)["images"], images)


def test_a_conditional_model_takes_class_ids(conditional_saved_model):
  glow, signatures, _ = conditional_saved_model
  images, labels = pixels(), tf.constant([0, 3, 9, 3])
  served = signatures["log_prob"](images=images, labels=labels)["log_prob"]
  np.testing.assert_allclose(served, glow.log_prob(bin_centres(images, 17, 17), labels), rtol=1e-5, atol=1e-4)
  sampled = signatures["sample"](count=tf.constant(4), temperature=tf.constant(0.5), seed=SEED, labels=labels)
  latent = signatures["encode"](images=sampled["images"], labels=labels)["latent"]
  np.testing.assert_array_equal(signatures["decode"](latent=latent, labels=labels)["images"], sampled["images"])


def test_multi_hot_labels_for_attribute_models_and_their_re_exports(tmp_path):
  glow = trained_glow(num_classes=5, label_kind="multi_hot", label_names=("a", "b", "c", "d", "e"))
  path = export_saved_model(glow, str(tmp_path / "first"), 1)
  # Re-exported from the SavedModel alone, which records no dataset: the config says what the labels are.
  again = export_model(path, str(tmp_path / "again"), version=2)
  assert GlowConfig.load(os.path.join(again, "config.json")) == glow.config
  labels = tf.constant([[1, 0, 1, 0, 0], [0, 1, 0, 0, 1]], tf.float32)
  for version in (path, again):
    signatures = tf.saved_model.load(version).signatures
    for name in ("log_prob", "encode", "sample"):
      spec = signatures[name].structured_input_signature[1]["labels"]
      assert (spec.dtype, spec.shape.as_list()) == (tf.float32, [None, 5]), name
    served = signatures["log_prob"](images=pixels(2), labels=labels)["log_prob"]
    np.testing.assert_allclose(served, glow.log_prob(bin_centres(pixels(2), 17, 17), labels), rtol=1e-5, atol=1e-4)


def test_the_graph_checks_shapes_itself_for_servers_that_do_not(saved_model):
  # TF Serving hands tensors to the graph without comparing them with the signature.
  from glow_tf.export import ServingModule
  module = ServingModule(saved_model[0])
  unchecked = tf.function(module._log_prob, input_signature=[tf.TensorSpec([None, None, None, None], tf.uint8)])
  with pytest.raises(tf.errors.InvalidArgumentError, match=r"images must have shape \[batch, 8, 8, 1\]"):
    unchecked(tf.zeros([2, 4, 4, 1], tf.uint8))


def test_export_refuses_an_uninitialised_model_an_existing_version_and_bad_versions(saved_model, tmp_path):
  with pytest.raises(ValueError, match="never initialised.*glow.initialize"):
    export_saved_model(Glow(GlowConfig(**TINY)), str(tmp_path), 1)
  glow, _, path = saved_model
  with pytest.raises(FileExistsError, match="already exists"):
    export_saved_model(glow, os.path.dirname(path), 1)
  for version in (0, -1, "2", 1.0, True):
    with pytest.raises(ValueError, match="whole number >= 1"):
      export_saved_model(glow, str(tmp_path), version)
  assert not os.listdir(tmp_path)


def test_load_model_reads_the_weights_back_from_a_saved_model(saved_model):
  glow, _, path = saved_model
  loaded = load_model(path)
  assert loaded.step is None and loaded.glow.config == glow.config
  for restored, original in zip(loaded.glow.variables, glow.variables):
    np.testing.assert_array_equal(restored, original)


# End to end: a model trained by train.py, served by tools that never import glow_tf or TFP.

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
  """(SavedModel version directory written by train.py, the run's model restored in-process)."""
  model_dir = train_tiny_model(str(tmp_path_factory.mktemp("run") / "digits"))
  return os.path.join(model_dir, "export", str(STEPS)), load_model(model_dir).glow


def expected_outputs(glow, images, latent):
  """What each signature should return for the inputs the end-to-end tests send."""
  return {
      "log_prob": {"log_prob": glow.log_prob(bin_centres(images, 17, 17)).numpy()},
      "sample": {"images": to_pixels(glow.sample(5, 0.7, seed=SEED), 17, 17).numpy()},
      "encode": {"latent": encode_pixels(glow, images).numpy()},
      "decode": {"images": to_pixels(glow.decode(glow.split_latents(tf.constant(latent))), 17, 17).numpy()},
  }


def assert_matches(name, output, expected):
  if output.dtype == np.uint8:
    assert np.mean(output == expected) > 0.99 and np.abs(output.astype(int) - expected).max() <= 1, name
  else:
    np.testing.assert_allclose(output, expected, rtol=1e-4, atol=1e-4, err_msg=name)


@pytest.mark.slow
def test_train_py_exports_at_the_end_and_again_only_when_it_trained_on(trained):
  path, glow = trained
  assert GlowConfig.load(os.path.join(path, "config.json")) == glow.config
  model_dir = os.path.dirname(os.path.dirname(path))
  again = run_script("train.py", f"--model_dir={model_dir}", f"--steps={STEPS}", "--eval_every=0", "--sample_every=0",
                     "--noxla")
  assert again.returncode == 0, again.stderr[-3000:]
  assert "XLA: off; thread pools:" in again.stdout  # Chosen by the flag, not automatically.
  assert f"SavedModel of the latest checkpoint: {path}" in again.stdout  # It never evaluated: no best model.
  assert os.listdir(os.path.dirname(path)) == [str(STEPS)]


@pytest.mark.slow
def test_saved_model_cli_shows_every_signature(trained):
  result = subprocess.run(["saved_model_cli", "show", "--dir", trained[0], "--all"], capture_output=True, text=True,
                          timeout=120)
  assert result.returncode == 0, result.stderr[-2000:]
  for name in ("serving_default", "log_prob", "sample", "encode", "decode"):
    assert f"signature_def['{name}']" in result.stdout
  assert "inputs['images'] tensor_info:\n        dtype: DT_UINT8\n        shape: (-1, 8, 8, 1)" in result.stdout
  assert "inputs['seed'] tensor_info:\n        dtype: DT_INT32\n        shape: (2)" in result.stdout
  assert "outputs['bits_per_dim'] tensor_info:\n        dtype: DT_FLOAT\n        shape: (-1)" in result.stdout


def saved_model_cli_run(path, signature, inputs, tmp_path):
  """`saved_model_cli run` (a TF1 session, as TF Serving uses) on .npy inputs; returns (result, outputs)."""
  files = []
  for key, value in inputs.items():
    np.save(tmp_path / f"{key}.npy", value)
    files.append(f"{key}={tmp_path / f'{key}.npy'}")
  outdir = tmp_path / f"{signature}_out"
  result = subprocess.run(
      ["saved_model_cli", "run", "--dir", path, "--tag_set", "serve", "--signature_def", signature,
       "--inputs", ";".join(files), "--outdir", str(outdir), "--overwrite"],
      capture_output=True, text=True, timeout=120, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
  outputs = {name[:-4]: np.load(outdir / name) for name in os.listdir(outdir)} if outdir.exists() else {}
  return result, outputs


@pytest.mark.slow
def test_saved_model_cli_runs_every_signature(trained, tmp_path):
  path, glow = trained
  images = pixels(3).numpy()
  latent = np.random.default_rng(2).standard_normal([2, *SHAPE]).astype(np.float32)
  expected = expected_outputs(glow, images, latent)
  requests = {
      "log_prob": {"images": images},
      "sample": {"count": np.int32(5), "temperature": np.float32(0.7), "seed": SEED.numpy()},
      "encode": {"images": images},
      "decode": {"latent": latent},
  }
  for signature, inputs in requests.items():
    result, outputs = saved_model_cli_run(path, signature, inputs, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    for name, value in expected[signature].items():
      assert_matches(f"{signature}/{name}", outputs[name], value)
  result, _ = saved_model_cli_run(path, "sample", {**requests["sample"], "count": np.int32(-2)}, tmp_path)
  assert result.returncode != 0 and "The number of samples must be >= 0" in result.stderr


SERVE_WITHOUT_TFP = """
import sys
sys.meta_path.insert(0, type("NoTFP", (), {"find_spec": staticmethod(
    lambda name, *args: (_ for _ in ()).throw(ImportError("blocked: " + name))
    if name.split(".")[0] in ("tensorflow_probability", "glow_tf") else None)}))
import numpy as np
import tensorflow as tf
for name in ("tensorflow_probability", "glow_tf"):
  try:
    __import__(name)
    raise SystemExit(name + " could be imported")
  except ImportError:
    pass
inputs = np.load(sys.argv[2])
signatures = tf.saved_model.load(sys.argv[1]).signatures
outputs = {
    "log_prob": signatures["log_prob"](images=tf.constant(inputs["images"]))["log_prob"],
    "sample": signatures["sample"](count=tf.constant(5), temperature=tf.constant(0.7),
                                   seed=tf.constant(inputs["seed"]))["images"],
    "encode": signatures["encode"](images=tf.constant(inputs["images"]))["latent"],
    "decode": signatures["decode"](latent=tf.constant(inputs["latent"]))["images"],
    "empty": signatures["sample"](count=tf.constant(0), temperature=tf.constant(1.0),
                                  seed=tf.constant(inputs["seed"]))["images"],
}
np.savez(sys.argv[3], **{name: value.numpy() for name, value in outputs.items()})
print(sorted(name for name in sys.modules if name.startswith(("tensorflow_probability", "glow_tf"))))
"""


@pytest.mark.slow
def test_a_fresh_process_without_tfp_serves_the_same_values(trained, tmp_path):
  path, glow = trained
  images = pixels(3).numpy()
  latent = np.random.default_rng(2).standard_normal([2, *SHAPE]).astype(np.float32)
  np.savez(tmp_path / "inputs.npz", images=images, latent=latent, seed=SEED.numpy())
  # Run from an empty directory, so that the repository is not importable either.
  result = subprocess.run(
      [sys.executable, "-c", SERVE_WITHOUT_TFP, path, str(tmp_path / "inputs.npz"), str(tmp_path / "out.npz")],
      capture_output=True, text=True, timeout=180, cwd=tmp_path, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.strip().splitlines()[-1] == "[]"
  served = np.load(tmp_path / "out.npz")
  for signature, outputs in expected_outputs(glow, images, latent).items():
    assert_matches(signature, served[signature], next(iter(outputs.values())))
  assert served["empty"].shape == (0, *SHAPE)


def test_the_shipped_model_answers_the_documented_requests():
  # The REST bodies as TF Serving reads them: rows ("instances") or columns ("inputs"), cast to the signature.
  with open(os.path.join(REPO, "docs", "serving.md")) as f:
    found = re.findall(r"-d '(\{.*?\})'\n", f.read(), re.S)
  # decode's body holds a placeholder for the latents an encode request returns.
  bodies = {body["signature_name"]: body for body in map(json.loads, (b for b in found if "LATENT" not in b))}
  assert set(bodies) == {"log_prob", "sample"}
  path = os.path.join(REPO, "saved_models", "digits", "1")
  assert GlowConfig.load(os.path.join(path, "config.json")) == GlowConfig(
      image_shape=(8, 8, 1), levels=2, steps_per_level=8, hidden_channels=64, pixel_levels=17)
  signatures = tf.saved_model.load(path).signatures
  images = tf.constant(bodies["log_prob"]["instances"], tf.uint8)
  assert images.shape == (1, *SHAPE)
  assert 0.5 < float(signatures["log_prob"](images=images)["bits_per_dim"][0]) < 4
  sample = bodies["sample"]["inputs"]
  sampled = signatures["sample"](count=tf.constant(sample["count"], tf.int32),
                                 temperature=tf.constant(sample["temperature"], tf.float32),
                                 seed=tf.constant(sample["seed"], tf.int32))["images"].numpy()
  assert sampled.shape == (4, *SHAPE) and sampled.std() > 0 and sampled.max() <= 16
  latent = signatures["encode"](images=images)["latent"]
  np.testing.assert_array_equal(signatures["decode"](latent=latent)["images"], images)


def test_the_shipped_model_answers_every_sample_request_at_temperature_1():
  # With the reference's affine scale, a quarter of these requests failed with the overflow error (issue 15).
  sample = tf.saved_model.load(os.path.join(REPO, "saved_models", "digits", "1")).signatures["sample"]
  for s in range(200):
    images = sample(count=tf.constant(64), temperature=tf.constant(1.0), seed=tf.constant([s, 7]))["images"]
    assert images.shape == (64, *SHAPE) and int(tf.reduce_max(images)) <= 16
