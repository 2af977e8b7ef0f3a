"""The one walk over a Glow's chain, layer by layer in the encoding direction, routing inputs and keyword arguments
as the chain's own `inverse` does.

The containers are known here and nowhere else: a TFP chain (its bijectors in turn, each with
`kwargs[layer.name]`), `OnStayingHalf` (its bijector on the first half of the channels, the second half passing
by) and a `SeeThrough` wrapper (its bijector on the whole input). Every other bijector is a layer, handed to the
pass's `visit`. A new container is taught to the walk once, and every pass goes through it.
"""

import tensorflow as tf
import tensorflow_probability as tfp

from glow_tf.bijectors.on_staying_half import OnStayingHalf


class SeeThrough:
  """Marks a bijector whose layers are those of `self.bijector`, applied to its whole input with the same keyword
  arguments: walks go through it."""


def through_layers(bijector, state, kwargs, visit, backwards=False):
  """Threads `state` through the layers of `bijector` and returns it.

  `state` is a tensor shaped like the layer's input, or a nest of them (split and joined alike where a container
  takes half the channels). Each layer maps it with `visit(layer, state, layer_kwargs)`: in the encoding order, or,
  with `backwards`, from the last layer to the first, `state` then being shaped like the layers' outputs.
  """
  if isinstance(bijector, tfp.bijectors.Composition):  # tfb.Chain makes a _Chain, a Composition.
    layers = [(layer, kwargs.get(layer.name, {})) for layer in bijector.bijectors]
    for layer, layer_kwargs in reversed(layers) if backwards else layers:
      state = through_layers(layer, state, layer_kwargs, visit, backwards)
    return state
  if isinstance(bijector, OnStayingHalf):
    halves = [OnStayingHalf.split(t) for t in tf.nest.flatten(state)]
    stay, exited = (tf.nest.pack_sequence_as(state, [half[i] for half in halves]) for i in (0, 1))
    stay = through_layers(bijector.bijector, stay, kwargs, visit, backwards)
    return tf.nest.map_structure(OnStayingHalf.join, stay, exited)
  if isinstance(bijector, SeeThrough):
    return through_layers(bijector.bijector, state, kwargs, visit, backwards)
  return visit(bijector, state, kwargs)
