import gc
import os

import pytest

# Quiet TensorFlow's start-up chatter in test output; keep warnings and errors.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

from glow_tf import startup  # pylint: disable=g-import-not-at-top
from tests.tiny_export import export_tiny  # After the environment above: it imports TensorFlow.
from tests.tiny_run import REPO

# The graphs the tests trace run as train.py's and evaluate.py's do.
startup.no_graph_optimiser_without_gpu()


@pytest.fixture(scope="session")
def saved_model(tmp_path_factory):
  """A tiny unconditional model, exported once for every test that serves one: (glow, signatures, path)."""
  return export_tiny(str(tmp_path_factory.mktemp("export") / "tiny"))


@pytest.fixture(scope="session")
def conditional_saved_model(tmp_path_factory):
  """The same with 10 classes, taking class ids: (glow, signatures, path)."""
  return export_tiny(str(tmp_path_factory.mktemp("export") / "tiny_conditional"), num_classes=10)


# The files that take longest, heaviest first (seconds of a worker's time, 2-core Xeon, 2026-12-07: 140, 116, 72,
# 70, 53, 49, 47, 47; the next is 38). pytest-xdist's `--dist loadfile` hands out files in collection order, and
# its own reordering (most tests first) sends these, which have few tests each, last: a worker then runs one while
# the other idles. Handed out first, the many short files fill in at the end. Only the order changes.
HEAVIEST_FILES = ("training/test_distributed_runs.py", "test_backprop.py", "test_export.py", "test_reliability.py",
                  "test_own_data_cli.py", "test_health.py", "test_train_cli.py", "training/test_trainer.py")


def pytest_configure(config):
  if hasattr(config.option, "loadscopereorder"):  # Present when pytest-xdist is installed.
    config.option.loadscopereorder = False


def pytest_collection_modifyitems(items):
  rank = {os.path.join(REPO, "tests", path): index for index, path in enumerate(HEAVIEST_FILES)}
  missing = [path for path in rank if not os.path.exists(path)]
  if missing:
    raise pytest.UsageError(f"conftest.HEAVIEST_FILES names files that are gone: {missing}")
  items.sort(key=lambda item: rank.get(str(item.path), len(HEAVIEST_FILES)))


def pytest_unconfigure(config):
  """Python's collections at interpreter exit walk every object a test process still holds, thousands of traced
  graphs among them: seconds for each pytest-xdist worker (the suite's slower worker ends last). Frozen, they go
  with the process."""
  gc.freeze()
