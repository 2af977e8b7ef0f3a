"""Data-dependent initialisation: one pass in the encoding direction that sets each layer's parameters from its input.

A layer with data-dependent parameters has `initialize_and_encode(x)`: it sets them from its input x, then returns
its encoding of x, which is the next layer's input. Layers without them encode as usual. The pass is a separate
entry point rather than a mode of `inverse`, so no training or serving graph ever carries an initialiser, and
nothing outside the pass can run one.
"""

from glow_tf.passes import walk


def initialize_and_encode(bijector, x, **kwargs):
  """Initialises every data-dependent layer of `bijector` from the batch x, in order; returns `bijector.inverse(x)`.

  `kwargs` route through chains as `bijector.inverse`'s do: each layer of a chain gets `kwargs[layer.name]`.
  """

  def visit(layer, x, layer_kwargs):
    if hasattr(layer, "initialize_and_encode"):
      return layer.initialize_and_encode(x, **layer_kwargs)
    return layer.inverse(x, **layer_kwargs)

  return walk.through_layers(bijector, x, kwargs, visit)
