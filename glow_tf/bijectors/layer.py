"""A base for bijectors that are layers of one model: each holds (or wraps) weights of its own."""

import tensorflow_probability as tfp

tfb = tfp.bijectors


class Layer(tfb.Bijector):
  """A bijector equal only to itself.

  TFP compares bijectors by their constructor arguments, so two layers built alike but holding different
  weights (two models of one config and seed) would be equal, and TFP's cache, keyed by the bijector and
  the input tensor, would hand one model's output to the other. Comparing and hashing by identity also
  keeps every cache lookup from hashing all the layers nested inside a layer (half of tracing a deep Glow).
  """

  def _get_parameterization(self):
    return id(self)
