"""The README's code runs (and docs/serving.md's): every Python block, the gRPC client against a stand-in server,
the pictures' command."""

import concurrent.futures
import os
import re
import shlex

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

from glow_tf.choices import DATASETS

from tests.tiny_run import REPO, run_script

DOCUMENTS = ("README.md", os.path.join("docs", "serving.md"))


def read(document):
  with open(os.path.join(REPO, document)) as f:
    return f.read()


README = read("README.md")
# {code: the document it is in}
PYTHON_BLOCKS = {code: document for document in DOCUMENTS
                 for code in re.findall(r"```python\n(.*?)```", read(document), re.S)}
# The block's own 32x32 model with 24 flow steps of width 128 takes a minute to build and run here; one of width 8
# checks the same code.
TINY_MODEL = ("steps_per_level=8, hidden_channels=128", "steps_per_level=1, hidden_channels=8")


def block(marker):
  """The documents' one Python block that contains `marker`."""
  found = [b for b in PYTHON_BLOCKS if marker in b]
  assert len(found) == 1, f"{len(found)} Python blocks of {DOCUMENTS} contain {marker!r}"
  return found[0]


def run_block(code, monkeypatch, document):
  monkeypatch.chdir(REPO)  # Its paths are the repository's, as for a user in a checkout.
  namespace = {}
  exec(compile(code, document, "exec"), namespace)  # pylint: disable=exec-used
  return namespace


def test_every_python_block_is_run_here():
  markers = ("glow_tf.load_model(", "glow_tf.GlowConfig(", "prediction_service_pb2_grpc")
  assert sorted(PYTHON_BLOCKS) == sorted(block(m) for m in markers)


def test_loading_the_shipped_model_in_two_lines(monkeypatch):
  code = block("glow_tf.load_model(")
  found = run_block(code, monkeypatch, PYTHON_BLOCKS[code])
  assert found["images"].shape == (16, 8, 8, 1)
  assert found["pixels"].dtype == tf.uint8 and 0 < int(tf.reduce_max(found["pixels"])) <= 255


def test_a_new_model_as_a_tfp_distribution(monkeypatch):
  code = block("glow_tf.GlowConfig(")
  assert TINY_MODEL[0] in code
  found = run_block(code.replace(*TINY_MODEL), monkeypatch, PYTHON_BLOCKS[code])
  assert found["log_prob"].shape == (16,) and np.isfinite(found["bpd"].numpy()).all()
  assert found["grid"].shape == (4, 4)
  np.testing.assert_allclose(tf.reshape(found["grid"], [16]), found["log_prob"], rtol=1e-5)
  assert found["images"].shape == (8, 32, 32, 3)
  np.testing.assert_allclose(found["x_again"], found["x"], atol=1e-4)


class _Serving(prediction_service_pb2_grpc.PredictionServiceServicer):
  """TF Serving's Predict over gRPC, answered from the SavedModel's signatures in this process."""

  def __init__(self, model_dir, model_name):
    self._signatures = tf.saved_model.load(model_dir).signatures
    self._model_name = model_name

  def Predict(self, request, context):  # pylint: disable=invalid-name
    if request.model_spec.name != self._model_name:
      context.abort(grpc.StatusCode.NOT_FOUND, f"no model {request.model_spec.name}")
    signature = self._signatures[request.model_spec.signature_name or "serving_default"]
    outputs = signature(**{name: tf.constant(tf.make_ndarray(proto)) for name, proto in request.inputs.items()})
    response = predict_pb2.PredictResponse()
    for name, value in outputs.items():
      response.outputs[name].CopyFrom(tf.make_tensor_proto(value.numpy()))
    return response


def test_the_grpc_client_against_the_shipped_model(monkeypatch):
  server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=2))
  prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(
      _Serving(os.path.join(REPO, "saved_models", "digits", "1"), "digits"), server)
  port = server.add_insecure_port("localhost:0")
  server.start()
  try:
    code = block("prediction_service_pb2_grpc")
    assert '"localhost:8500"' in code  # TF Serving's gRPC port, as the README's docker command publishes it.
    found = run_block(code.replace('"localhost:8500"', f'"localhost:{port}"'), monkeypatch, PYTHON_BLOCKS[code])
  finally:
    server.stop(None)
  assert found["images"].shape == (4, 8, 8, 1) and found["images"].max() <= 16
  assert found["scores"]["bits_per_dim"].shape == (4,)
  assert found["latents"]["latent"].shape == (4, 8, 8, 1)
  np.testing.assert_array_equal(found["again"], found["images"])


@pytest.mark.slow
def test_the_pictures_come_from_the_readme_command(tmp_path):
  command = re.search(r"^python evaluate\.py [^\n]*(?:\\\n[^\n]*)*--output_dir=docs$", README, re.M)
  assert command, "the README shows the command that drew its pictures"
  args = shlex.split(command.group(0).replace("\\\n", " "))
  assert args[:2] == ["python", "evaluate.py"]
  result = run_script("evaluate.py", *[a.replace("--output_dir=docs", f"--output_dir={tmp_path}") for a in args[2:]])
  assert result.returncode == 0, result.stderr[-3000:]
  shown = re.findall(r"!\[[^]]*\]\(docs/([^)]+\.png)\)", README)
  assert len(shown) >= 5
  for name in shown:
    assert (tmp_path / name).is_file(), f"{name} is not what the command writes"
    assert os.path.isfile(os.path.join(REPO, "docs", name))


def test_the_flag_table_names_every_dataset():
  row = next(line for line in README.splitlines() if line.startswith("| `--dataset` |"))
  assert all(f"`{name}`" in row for name in DATASETS) and "`folder:PATH`" in row
