import gc
import os

import pytest

# Quiet TensorFlow's start-up chatter in test output; keep warnings and errors.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

from tests.tiny_export import export_tiny  # After the environment above: it imports TensorFlow.


@pytest.fixture(scope="session")
def saved_model(tmp_path_factory):
  """A tiny unconditional model, exported once for every test that serves one: (glow, signatures, path)."""
  return export_tiny(str(tmp_path_factory.mktemp("export") / "tiny"))


@pytest.fixture(scope="session")
def conditional_saved_model(tmp_path_factory):
  """The same with 10 classes, taking class ids: (glow, signatures, path)."""
  return export_tiny(str(tmp_path_factory.mktemp("export") / "tiny_conditional"), num_classes=10)


def pytest_unconfigure(config):
  """Python's collections at interpreter exit walk every object a test process still holds, thousands of traced
  graphs among them: seconds for each pytest-xdist worker (the suite's slower worker ends last). Frozen, they go
  with the process."""
  gc.freeze()
