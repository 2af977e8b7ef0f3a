"""folder:PATH on images the tests write with PIL."""

import numpy as np
import pytest
from PIL import Image

from glow_tf import data
from tests.data.helpers import write_images


def test_reads_jpeg_and_png_of_any_size_and_mode_recursively(tmp_path):
  write_images(tmp_path, [(40, 30), (30, 40)], fmt="PNG")
  write_images(tmp_path, [(20, 20)], fmt="JPEG", subdir="nested/deeper")
  write_images(tmp_path, [(16, 24)], mode="L", subdir="grey")
  write_images(tmp_path, [(24, 16)], mode="RGBA", subdir="alpha")
  (tmp_path / "notes.txt").write_text("not an image")
  name = f"folder:{tmp_path}"

  info = data.dataset_info(name, image_size=8)
  assert info.image_shape == (8, 8, 3) and info.pixel_levels == 256
  assert info.num_classes == 0 and info.label_names == () and info.num_train + info.num_test == 5
  dataset = data.load_pixels(name, "all", image_size=8)
  assert set(dataset.element_spec) == {"image"}  # No labels.
  images = [e["image"] for e in dataset.as_numpy_iterator()]
  assert len(images) == 5 and all(i.shape == (8, 8, 3) and i.dtype == np.uint8 for i in images)


def test_centre_crop_then_resize(tmp_path):
  pixels = np.zeros((60, 100, 3), np.uint8)
  pixels[:, 20:80] = 255  # The central 60x60 square is white, the side bands black.
  Image.fromarray(pixels).save(tmp_path / "wide.png")
  image = next(data.load_pixels(f"folder:{tmp_path}", "all", image_size=16).as_numpy_iterator())["image"]
  assert (image == 255).all()


def test_default_size_is_64(tmp_path):
  write_images(tmp_path, [(80, 80)])
  assert data.dataset_info(f"folder:{tmp_path}").image_shape == (64, 64, 3)


def test_every_tenth_sorted_image_is_test(tmp_path):
  write_images(tmp_path, [(8, 8)] * 25)
  name = f"folder:{tmp_path}"
  info = data.dataset_info(name, image_size=8)
  assert (info.num_train, info.num_test) == (22, 3)

  def images(split):
    return [e["image"] for e in data.load_pixels(name, split, image_size=8).as_numpy_iterator()]

  everything, test, train = images("all"), images("test"), images("train")
  assert len(test) == 3 and len(train) == 22
  for i, image in enumerate(everything):
    np.testing.assert_array_equal(image, test[i // 10] if i % 10 == 0 else train[i - i // 10 - 1])


def test_errors_say_what_to_do(tmp_path):
  with pytest.raises(ValueError, match="found no images in .* ending in .jpg, .jpeg, .png"):
    data.dataset_info(f"folder:{tmp_path}")
  with pytest.raises(ValueError, match="is not a directory"):
    data.dataset_info(f"folder:{tmp_path / 'missing'}")
  with pytest.raises(ValueError, match="names no folder; write folder:PATH"):
    data.dataset_info("folder:")
  write_images(tmp_path, [(8, 8)])
  with pytest.raises(ValueError, match="no images in its 'train' split"):
    data.load_pixels(f"folder:{tmp_path}", "train")
  with pytest.raises(ValueError, match="Unknown split 'validation' for folder:PATH"):
    data.load_pixels(f"folder:{tmp_path}", "validation")
  with pytest.raises(data.ImageSizeError, match="whole number of pixels"):
    data.dataset_info(f"folder:{tmp_path}", image_size=0)
