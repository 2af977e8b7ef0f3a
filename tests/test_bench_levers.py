"""bench/levers.py undoes optimisations by patching the library: a patch whose target is gone must fail loudly."""

import pytest

from tests.helpers import bench_module


@pytest.fixture(scope="module")
def levers():
  with bench_module("levers") as module:
    yield module


def test_every_lever_patches_names_the_library_still_has(levers):
  for variant in levers.VARIANTS:
    with levers.undo(variant):
      pass


def test_a_patch_of_a_missing_name_fails_loudly_and_a_patch_is_undone(levers):
  from glow_tf.bijectors import flow_step  # pylint: disable=g-import-not-at-top
  with pytest.raises(AttributeError, match="FlowStep._fuses_something no longer exists, so this lever would undo"):
    with levers.patched(flow_step.FlowStep, "_fuses_something", lambda self: False):
      pass
  shipped = flow_step.mix_channels
  with levers.patched(flow_step, "mix_channels", levers.einsum_mix):
    assert flow_step.mix_channels is levers.einsum_mix
  assert flow_step.mix_channels is shipped
