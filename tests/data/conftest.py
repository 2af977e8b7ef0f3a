import pytest

from tests.data.helpers import mocked_tfds


@pytest.fixture
def mock_tfds():
  """tfds mocked for the test: see `helpers.mocked_tfds`."""
  with mocked_tfds():
    yield
