"""Image geometry shared by the sources: centre crops, resizing and padding of uint8 images."""

import tensorflow as tf


def center_crop_and_resize(image, image_size, crop_size=None):
  """The central square of `image`, resized to `image_size` x `image_size`.

  Args:
    image: uint8 `[H, W, C]`; H and W may be unknown until run time (a folder of photos).
    image_size: the output's height and width.
    crop_size: the side of the central square, or None for the largest one (min(H, W)).

  Returns:
    uint8 `[image_size, image_size, C]`.
  """
  shape = tf.shape(image)
  height, width = shape[0], shape[1]
  side = tf.minimum(height, width) if crop_size is None else crop_size
  image = tf.image.crop_to_bounding_box(image, (height - side) // 2, (width - side) // 2, side, side)
  if crop_size == image_size:
    return image
  # Antialiasing averages over every source pixel when shrinking (148 -> 64 for CelebA) instead of sampling.
  resized = tf.image.resize(image, [image_size, image_size], antialias=True)
  return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)


def pad_to(image, image_size):
  """`image` (uint8 `[H, W, C]`, H, W <= image_size) centred on a black `image_size` square.

  Padding keeps every pixel value exact where resizing would interpolate new ones: MNIST's 28x28 digits on
  their black background become 32x32 (divisible by 2**levels) without changing the data being modelled.
  """
  height, width = image.shape[0], image.shape[1]
  top, left = (image_size - height) // 2, (image_size - width) // 2
  return tf.image.pad_to_bounding_box(image, top, left, image_size, image_size)
