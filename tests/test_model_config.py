import json

import pytest

from glow_tf import GlowConfig


def test_json_round_trip(tmp_path):
  config = GlowConfig(image_shape=(64, 64, 3), levels=4, coupling="additive", n_bits=5, num_classes=3,
                      label_kind="multi_hot", label_names=("Smiling", "Young", "Male"))
  path = tmp_path / "config.json"
  config.save(str(path))
  assert GlowConfig.load(str(path)) == config
  saved = json.loads(path.read_text())
  assert saved["image_shape"] == [64, 64, 3] and saved["label_names"] == ["Smiling", "Young", "Male"]


@pytest.mark.parametrize("fields, message", [
    (dict(image_shape=(100, 100, 3), levels=3), "not divisible by 2\\*\\*levels = 8; use 96 or 104"),
    (dict(image_shape=(4, 4, 3), levels=3), "use 8"),
    (dict(image_shape=(32, 32)), "height, width, channels"),
    (dict(coupling="affline"), "choose one of 'affine', 'additive'"),
    (dict(permutation="random"), "'lu', 'conv', 'shuffle', 'reverse'"),
    (dict(dtype="float16"), "'float32', 'float64'"),
    (dict(levels=0), "levels must be a whole number >= 1"),
    (dict(steps_per_level=2.5), "steps_per_level"),
    (dict(hidden_channels=-1), "hidden_channels"),
    (dict(n_bits=9), "n_bits must be a whole number from 1 to 8"),
    (dict(num_classes=-2), "num_classes"),
    (dict(num_classes=2, label_kind="attributes"), "Unknown label_kind 'attributes'; choose one of 'class_ids', 'multi_hot'"),
    (dict(num_classes=2, label_names=("cat",)), "label_names names 1 labels but num_classes is 2"),
    (dict(label_names=("cat",)), "label_names names 1 labels but num_classes is 0"),
    (dict(num_classes=2, label_names=("cat", "")), "label_names must be a list of non-empty names"),
    (dict(pixel_levels=1), "pixel_levels"),
])
def test_bad_configs_say_what_to_use(fields, message):
  with pytest.raises(ValueError, match=message):
    GlowConfig(**fields)


def test_config_json_from_another_version_is_refused_clearly():
  with pytest.raises(ValueError, match="unknown fields \\['flow_depth'\\]"):
    GlowConfig.from_json(json.dumps({"flow_depth": 3}))
  with pytest.raises(ValueError, match="not valid JSON"):
    GlowConfig.from_json("{levels: 3")
  with pytest.raises(FileNotFoundError, match="config.json"):
    GlowConfig.load("/nonexistent/config.json")


def test_bins_and_dims():
  assert GlowConfig(n_bits=5).n_bins == 32
  assert GlowConfig(image_shape=(8, 8, 1), levels=2, pixel_levels=17).n_bins == 17
  assert GlowConfig(image_shape=(32, 32, 3), levels=3).num_dims == 3072


def test_a_config_from_before_the_scale_floor_keeps_the_reference_scale():
  fields = json.loads(GlowConfig(coupling_scale_floor=0.25).to_json())
  del fields["coupling_scale_floor"]
  assert GlowConfig.from_json(json.dumps(fields)).coupling_scale_floor == 0.0
  assert GlowConfig.from_json(GlowConfig(coupling_scale_floor=0.25).to_json()).coupling_scale_floor == 0.25
