"""Walking a TFP chain layer by layer, as its own inverse does: for passes that must see every layer on the way
(data-dependent initialisation, invertible backprop)."""

import tensorflow_probability as tfp


def is_chain(bijector):
  return isinstance(bijector, tfp.bijectors.Composition)  # tfb.Chain makes a _Chain, a Composition.


def encoding_order(chain, kwargs):
  """The bijectors `chain.inverse` applies (the encoding direction), first to last, each with the keyword
  arguments TFP's chain routes to it: `kwargs[layer.name]`."""
  return [(layer, kwargs.get(layer.name, {})) for layer in chain.bijectors]
