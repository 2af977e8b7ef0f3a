import numpy as np
import tensorflow as tf

from glow_tf.data import geometry


def framed(height, width, side, inside=200, frame=10):
  """A uint8 image whose central side x side square is `inside` and the rest `frame`."""
  image = np.full((height, width, 3), frame, np.uint8)
  top, left = (height - side) // 2, (width - side) // 2
  image[top:top + side, left:left + side] = inside
  return image


def test_celeb_a_crop_keeps_exactly_the_central_square():
  image = framed(218, 178, 148)
  cropped = geometry.center_crop_and_resize(image, 148, crop_size=148).numpy()
  assert cropped.shape == (148, 148, 3) and (cropped == 200).all()
  resized = geometry.center_crop_and_resize(image, 64, crop_size=148).numpy()
  assert resized.shape == (64, 64, 3) and resized.dtype == np.uint8 and (resized == 200).all()


def test_largest_square_of_any_shape():
  for height, width in [(50, 30), (30, 50), (40, 40)]:
    side = min(height, width)
    out = geometry.center_crop_and_resize(framed(height, width, side), 16).numpy()
    assert out.shape == (16, 16, 3) and (out == 200).all()


def test_resizing_to_the_same_size_changes_nothing():
  image = np.random.default_rng(0).integers(0, 256, (24, 24, 3), dtype=np.uint8)
  np.testing.assert_array_equal(geometry.center_crop_and_resize(image, 24), image)


def test_resizing_stays_in_range():
  checkers = np.indices((64, 64)).sum(0) % 2 * 255
  image = np.repeat(checkers[..., None], 3, -1).astype(np.uint8)
  out = geometry.center_crop_and_resize(image, 5).numpy()
  assert out.min() >= 0 and out.max() <= 255
  # Antialiased: a fine checkerboard shrinks to grey, not to a sample of black and white pixels.
  assert 100 < out.mean() < 155 and out.std() < 40


def test_pad_to_centres_the_image_on_black_and_keeps_every_pixel():
  digit = np.random.default_rng(1).integers(1, 256, (28, 28, 1), dtype=np.uint8)
  padded = geometry.pad_to(tf.constant(digit), 32).numpy()
  assert padded.shape == (32, 32, 1)
  np.testing.assert_array_equal(padded[2:30, 2:30], digit)
  assert padded.sum() == digit.sum()
