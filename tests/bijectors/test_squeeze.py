import numpy as np
import tensorflow as tf

from glow_tf.bijectors import ExpectImageShape, Squeeze
from tests.helpers import fresh


def test_squeeze_moves_each_2x2_block_into_channels():
  x = tf.reshape(tf.range(16, dtype=tf.float32), [1, 4, 4, 1])
  y = Squeeze().forward(x).numpy()
  assert y.shape == (1, 2, 2, 4)
  np.testing.assert_array_equal(y[0, 0, 0], [0, 1, 4, 5])
  np.testing.assert_array_equal(Squeeze().inverse(fresh(y)), x)


def test_squeeze_handles_extra_batch_dimensions_and_has_zero_log_det():
  x = tf.random.stateless_normal([2, 3, 4, 6, 2], [0, 1])
  squeeze = Squeeze()
  y = squeeze.forward(x)
  assert y.shape == (2, 3, 2, 3, 8)
  assert squeeze.forward_event_shape([4, 6, 2]) == [2, 3, 8]
  assert squeeze.inverse_event_shape([2, 3, 8]) == [4, 6, 2]
  np.testing.assert_array_equal(squeeze.inverse(fresh(y)), x)
  assert float(squeeze.forward_log_det_jacobian(x, event_ndims=3)) == 0.0


def test_expect_image_shape_passes_matching_images():
  x = tf.zeros([2, 4, 4, 3])
  np.testing.assert_array_equal(ExpectImageShape((4, 4, 3)).inverse(x), x)
