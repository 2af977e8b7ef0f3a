"""folder:PATH on images the tests write with PIL: loose images, class folders, grayscale, and the bad cases."""

import numpy as np
import pytest
from PIL import Image

from glow_tf import data
from tests.data.helpers import write_class_folders, write_images


def test_reads_loose_jpeg_and_png_of_any_size_and_mode_unlabelled(tmp_path):
  write_images(tmp_path, [(40, 30), (30, 40)], fmt="PNG")
  (tmp_path / "b").mkdir()
  write_images(tmp_path / "b", [(20, 20)], fmt="JPEG")
  for path in (tmp_path / "b").iterdir():
    path.rename(tmp_path / "b.jpg")
  (tmp_path / "b").rmdir()
  write_images(tmp_path / "c", [(16, 24)], mode="L")
  (tmp_path / "c" / "image00.png").rename(tmp_path / "c.png")
  write_images(tmp_path / "d", [(24, 16)], mode="RGBA")
  (tmp_path / "d" / "image00.png").rename(tmp_path / "d.png")
  (tmp_path / "notes.txt").write_text("not an image")
  name = f"folder:{tmp_path}"  # Its empty subfolders c/ and d/ hold no images: not classes.

  with pytest.raises(ValueError, match="mixes 1 grayscale images .*c.png.* with 4 colour ones; .*--channels=3"):
    data.dataset_info(name, image_size=8)
  info = data.dataset_info(name, image_size=8, channels=3)
  assert info.image_shape == (8, 8, 3) and info.pixel_levels == 256
  assert info.num_classes == 0 and info.label_names == () and info.num_train + info.num_test == 5
  dataset = data.load_pixels(name, "all", image_size=8, channels=3)
  assert set(dataset.element_spec) == {"image"}  # No labels.
  images = [e["image"] for e in dataset.as_numpy_iterator()]
  assert len(images) == 5 and all(i.shape == (8, 8, 3) and i.dtype == np.uint8 for i in images)
  grey = [e["image"] for e in data.load_pixels(name, "all", image_size=8, channels=1).as_numpy_iterator()]
  assert len(grey) == 5 and all(i.shape == (8, 8, 1) for i in grey)


@pytest.mark.parametrize("mode, channels", [("RGB", 3), ("L", 1)])
def test_subfolders_are_classes_in_sorted_order(tmp_path, mode, channels):
  name = write_class_folders(tmp_path, {"zebra": 3, "ant": 2, "moth": 1}, mode=mode)
  (tmp_path / ".ipynb_checkpoints").mkdir()  # Hidden folders are not classes.
  write_images(tmp_path / "moth", [(9, 9)], mode=mode, subdir="deeper/still")  # Below a class folder: that class.
  info = data.dataset_info(name, image_size=8)
  assert info.image_shape == (8, 8, channels)
  assert info.label_names == ("ant", "moth", "zebra") and info.num_classes == 3 and not info.multi_label
  labels = [int(e["label"]) for e in data.load_pixels(name, "all", image_size=8).as_numpy_iterator()]
  assert labels == [0, 0, 1, 1, 2, 2, 2]
  test = [int(e["label"]) for e in data.load_pixels(name, "test", image_size=8).as_numpy_iterator()]
  assert test == [0]  # Every tenth of the sorted paths.


def test_loose_images_beside_class_folders_are_refused(tmp_path):
  name = write_class_folders(tmp_path, {"cats": 2, "dogs": 2})
  write_images(tmp_path, [(8, 8)])
  with pytest.raises(ValueError, match="both images directly in it .* and class subfolders with images .cats, dogs"):
    data.dataset_info(name)


def test_an_empty_class_folder_is_refused(tmp_path):
  name = write_class_folders(tmp_path, {"cats": 2, "dogs": 2})
  (tmp_path / "birds").mkdir()
  with pytest.raises(ValueError, match="the class folder birds holds no JPEG/PNG images; remove it, or add images"):
    data.dataset_info(name)


def test_files_that_are_not_images_are_skipped_and_counted(tmp_path, caplog):
  name = write_class_folders(tmp_path, {"cats": 2, "dogs": 2})
  (tmp_path / "dogs" / "broken.png").write_bytes(b"not a png at all")
  with caplog.at_level("WARNING"):
    info = data.dataset_info(name, image_size=8)
  assert info.num_train + info.num_test == 4
  assert "skipped 1 files that cannot be read as images, e.g. " in caplog.text and "broken.png" in caplog.text


def test_an_image_whose_pixels_do_not_decode_is_skipped_when_reached(tmp_path):
  write_images(tmp_path, [(64, 64)] * 3, fmt="JPEG")
  path = tmp_path / "image01.jpg"
  path.write_bytes(path.read_bytes()[:2000])  # The header reads; the pixels are cut short.
  name = f"folder:{tmp_path}"
  assert data.dataset_info(name).num_train + data.dataset_info(name).num_test == 3
  assert len(list(data.load_pixels(name, "all", image_size=8))) == 2


def test_adding_images_is_seen_within_a_process(tmp_path):
  write_images(tmp_path, [(8, 8)] * 2)
  name = f"folder:{tmp_path}"
  assert data.dataset_info(name).num_test == 1
  write_images(tmp_path / "more", [(8, 8)] * 11)
  for i, path in enumerate(sorted((tmp_path / "more").iterdir())):
    path.rename(tmp_path / f"more{i:02d}.png")
  (tmp_path / "more").rmdir()
  assert data.dataset_info(name).num_test == 2


def test_only_folders_convert_channels():
  with pytest.raises(ValueError, match="digits images have 1 channel.s., not 3; only folder:PATH"):
    data.dataset_info("digits", channels=3)
  with pytest.raises(ValueError, match="channels must be 1 .grayscale. or 3 .RGB., got 2"):
    data.dataset_info("folder:/nonexistent", channels=2)


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
