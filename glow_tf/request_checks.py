"""What a served model checks in every request before it computes anything, in the graph.

Signatures fix shapes for Python callers of the saved functions, but neither TF Serving nor a loaded SavedModel's
signatures compare the shapes of the tensors they feed, and a NaN cast to uint8 becomes an arbitrary pixel. So
each signature first checks its inputs' shapes (the other checks assume them), then their values, and refuses a
bad request with an InvalidArgumentError whose message says what was wrong.
"""

import tensorflow as tf


class RequestChecks:
  """The checks of one model's signatures.

  Args:
    config: the model's `GlowConfig`.
    max_sample_count: the most images one `sample` request may ask for.
  """

  def __init__(self, config, max_sample_count):
    self._image_shape = config.image_shape
    self._pixel_levels = config.pixel_levels
    # Per image: class ids are scalars, multi-hot attribute vectors have num_classes entries.
    self._label_shape = (config.num_classes,) if config.label_kind == "multi_hot" else ()
    self._max_sample_count = max_sample_count

  def images(self, images, labels):
    """images and labels, once their shapes and pixel values are known to suit the model."""
    images, labels = self._shaped(images, "images", labels)
    checks = _batch_checks(images, labels)
    if self._pixel_levels < 256:
      checks.append(tf.debugging.assert_less(
          images, tf.constant(self._pixel_levels, tf.uint8),
          message=f"images must hold pixels in [0, {self._pixel_levels}), this model's pixel_levels"))
    return _after(checks, images, labels)

  def latent(self, latent, labels):
    """latent and labels, once the latent's shape is known to suit the model and its values to be finite."""
    latent, labels = self._shaped(latent, "latent", labels)
    checks = [tf.debugging.assert_all_finite(latent, "latent must be finite (no NaN or inf)"),
              *_batch_checks(latent, labels)]
    return _after(checks, latent, labels)

  def sample_request(self, count, labels):
    """count and labels, once the count is within the limit and the labels number count.

    count, temperature and seed need no shape check of their own: a tensor of another shape fails the first op
    that reads it, with "must be a scalar" or "seed must have shape [2]".
    """
    checks = [tf.debugging.assert_less_equal(
        count, self._max_sample_count,
        message=f"count must be at most {self._max_sample_count} per request; send several requests")]
    if labels is not None:
      (labels,) = _after([_shape_check(labels, self._label_shape, "labels")], labels)
      checks.append(tf.debugging.assert_equal(
          tf.shape(labels)[0], count, message="labels must have count entries, one per image"))
    return _after(checks, count, labels)

  def finite_images(self, x):
    """The model's images x, once they are known to be finite: no answer is better than noise that looks like one."""
    return tf.debugging.assert_all_finite(
        x, "The model's images are not finite (NaN or inf): the latents are too far from those of real images "
           "for the model's inverse to stay within its floating-point range; use a lower temperature (<= 1) or "
           "latents from encode")

  def _shaped(self, inputs, name, labels):
    checks = [_shape_check(inputs, self._image_shape, name)]
    if labels is not None:
      checks.append(_shape_check(labels, self._label_shape, "labels"))
    return _after(checks, inputs, labels)


def _shape_check(tensor, shape, name):
  """A check that `tensor` has shape [batch, *shape]; whatever its rank, it fails with this message."""
  # Padded with -1, never a size, to a fixed length: [batch, *shape, -1] exactly when the shape is right.
  padded = tf.concat([tf.shape(tensor), -tf.ones([len(shape) + 2], tf.int32)], 0)[:len(shape) + 2]
  right = tf.logical_and(padded[0] >= 0, tf.reduce_all(tf.equal(padded[1:], [*shape, -1])))
  expected = ", ".join(["batch", *map(str, shape)])
  return tf.debugging.Assert(right, [f"{name} must have shape [{expected}]; got", tf.shape(tensor)], summarize=8)


def _batch_checks(inputs, labels):
  if labels is None:
    return []
  return [tf.debugging.assert_equal(
      tf.shape(labels)[0], tf.shape(inputs)[0], message="labels must have one entry per image")]


def _after(checks, *tensors):
  """The tensors (None stays None), computed only once every check has passed."""
  with tf.control_dependencies(checks):
    return tuple(None if tensor is None else tf.identity(tensor) for tensor in tensors)
