import numpy as np
import pytest
import tensorflow as tf

from glow_tf.bijectors import SplitPrior, TopPrior
from tests.helpers import autodiff_log_det, fresh, randomize


def test_split_prior_log_det_matches_autodiff():
  prior = SplitPrior(4, dtype=tf.float64)
  randomize(prior, seed=5, scale=0.3)
  z = tf.random.stateless_normal([2, 3, 3, 4], [1, 9], dtype=tf.float64)
  ildj = prior.inverse_log_det_jacobian(z, event_ndims=3) + np.zeros(2)
  np.testing.assert_allclose(ildj, autodiff_log_det(prior.inverse, z), atol=1e-6)
  np.testing.assert_allclose(
      prior.forward_log_det_jacobian(fresh(z), event_ndims=3) + np.zeros(2),
      autodiff_log_det(prior.forward, z), atol=1e-6)


def test_split_prior_standardises_the_exiting_half_under_its_gaussian():
  prior = SplitPrior(4, dtype=tf.float64)
  randomize(prior, seed=5, scale=0.3)
  z = tf.random.stateless_normal([2, 3, 3, 4], [1, 9], dtype=tf.float64)
  mean, log_scale = (t.numpy() for t in prior._mean_and_log_scale(z[..., :2]))
  eps = prior.inverse(z).numpy()
  np.testing.assert_allclose(eps[..., 2:], (z.numpy()[..., 2:] - mean) / np.exp(log_scale), atol=1e-12)
  np.testing.assert_allclose(prior.forward(fresh(eps)), z, atol=1e-12)


@pytest.mark.parametrize("labels", [None, [1, 2], [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]])
def test_top_prior_log_det_matches_autodiff(labels):
  prior = TopPrior(4, num_classes=0 if labels is None else 3, dtype=tf.float64)
  randomize(prior, seed=6, scale=0.3)
  z = tf.random.stateless_normal([2, 2, 2, 4], [2, 9], dtype=tf.float64)
  kwargs = {} if labels is None else {"labels": tf.constant(labels)}
  ildj = prior.inverse_log_det_jacobian(z, event_ndims=3, **kwargs) + np.zeros(2)
  np.testing.assert_allclose(ildj, autodiff_log_det(lambda t: prior.inverse(t, **kwargs), z), atol=1e-6)
  z_back = prior.forward(fresh(prior.inverse(z, **kwargs)), **kwargs)
  np.testing.assert_allclose(z_back, z, atol=1e-12)


def test_top_prior_labels_change_the_prior():
  prior = TopPrior(2, num_classes=3)
  randomize(prior, scale=0.5)
  z = tf.zeros([2, 1, 1, 2])
  eps = prior.inverse(z, labels=tf.constant([0, 2])).numpy()
  assert not np.allclose(eps[0], eps[1])


def test_top_prior_without_learning_is_standard_normal():
  prior = TopPrior(2, learn_prior=False)
  assert not prior.trainable_variables
  z = tf.random.stateless_normal([2, 2, 2, 2], [0, 0])
  np.testing.assert_array_equal(prior.inverse(z), z)


def test_conditional_top_prior_demands_labels():
  prior = TopPrior(2, num_classes=3)
  with pytest.raises(ValueError, match="pass labels"):
    prior.inverse(tf.zeros([1, 1, 1, 2]))
  with pytest.raises(ValueError, match="3 entries"):
    prior.inverse(tf.zeros([1, 1, 1, 2]), labels=tf.zeros([1, 4]))


def test_an_attribute_prior_refuses_class_ids_and_a_class_prior_takes_one_hot_vectors():
  attributes = TopPrior(2, num_classes=3, label_kind="multi_hot")
  with pytest.raises(ValueError, match=r"3 attributes, multi-hot float vectors \[B, 3\], not class ids; got int32"):
    attributes.inverse(tf.zeros([1, 1, 1, 2]), labels=tf.constant([1]))
  classes = TopPrior(2, num_classes=3)
  randomize(classes, scale=0.5)
  z = tf.random.stateless_normal([2, 1, 1, 2], [0, 1])
  np.testing.assert_allclose(classes.inverse(z, labels=tf.constant([2, 0])),
                             classes.inverse(z, labels=tf.constant([[0., 0., 1.], [1., 0., 0.]])), rtol=1e-6)
