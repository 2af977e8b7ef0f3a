"""Data-dependent initialisation: one pass in the encoding direction that sets each layer's parameters from its input.

A layer with data-dependent parameters has `initialize_and_encode(x, **kwargs)`: it sets them from its input x,
then returns its encoding of x, which is the next layer's input. Layers without them encode as usual. The pass is
a separate entry point rather than a mode of `inverse`, so no training or serving graph ever carries an
initialiser, and nothing outside the pass can run one.
"""

from glow_tf.bijectors import chains


def initialize_and_encode(bijector, x, **kwargs):
  """Initialises every data-dependent layer of `bijector` from the batch x, in order; returns `bijector.inverse(x)`.

  `kwargs` route through chains as `bijector.inverse`'s do: each layer of a chain gets `kwargs[layer.name]`.
  """
  if hasattr(bijector, "initialize_and_encode"):
    return bijector.initialize_and_encode(x, **kwargs)
  if chains.is_chain(bijector):
    for layer, layer_kwargs in chains.encoding_order(bijector, kwargs):
      x = initialize_and_encode(layer, x, **layer_kwargs)
    return x
  return bijector.inverse(x, **kwargs)
