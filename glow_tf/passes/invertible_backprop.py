"""Backpropagation through a Glow without its activations: each layer's input is rebuilt from its output.

For a layer y = f(x) with log-det l(x), given dL/dy and dL/dl from above: rebuild x = f^-1(y) without a tape,
recompute (y, l) = f(x) under a local tape for dL/dx and the layer's parameter gradients, pass dL/dx down, and
drop the rest (RevNets, i-RevNet, MemCNN). Done layer by layer from the top of the chain down, the backward pass
holds one layer's activations at a time, whatever the depth.
"""

import tensorflow as tf

from glow_tf.bijectors.one_pass import OnePassBijector
from glow_tf.passes import walk


class InvertibleBackprop(OnePassBijector, walk.SeeThrough):
  """`bijector` (a Glow's chain of levels) with the backward pass of its encoding direction rebuilt layer by layer.

  Its value and both directions are `bijector`'s; only the gradients of `inverse` (the encoding direction
  training differentiates) are computed differently:

  - `reconstruct=True` ("invertible"): each layer's input is rebuilt by inverting it, from the output above.
    Activation memory is one layer's; the price is the rebuild's float round-off (about 1e-6 per layer in
    float32), which enters the gradients, never the loss.
  - `reconstruct=False` ("recomputed"): each layer's input is kept from the forward pass and its activations
    recomputed from it: exact gradients, memory for the layer boundaries plus one layer.

  It takes the wrapped chain's name, so that `bijector_kwargs` (labels for the top prior) route through it as
  they do through the chain; passes over the layers walk through it to the chain's.
  """

  def __init__(self, bijector, reconstruct=True, validate_args=False):
    parameters = dict(locals())
    self.bijector = bijector
    self._reconstruct = reconstruct
    super().__init__(
        forward_min_event_ndims=3,
        validate_args=validate_args,
        dtype=bijector.dtype,
        parameters=parameters,
        name=bijector.name)

  def _forward_and_log_det(self, z, **kwargs):
    return self.bijector.forward(z, **kwargs), self.bijector.forward_log_det_jacobian(z, event_ndims=3, **kwargs)

  def _inverse_and_log_det(self, x, **kwargs):
    inputs = None if self._reconstruct else []

    @tf.custom_gradient
    def encode(x):
      z, log_det = _encode(self.bijector, x, kwargs, inputs)

      def backward(dz, dlog_det, variables=None):
        gradients = {}
        # A copy to pop from: a second gradient of the same forward pass (a persistent tape) finds them all again.
        stored = None if inputs is None else list(inputs)
        _, dx = _backward(self.bijector, z, dz, dlog_det, kwargs, stored, gradients)
        return dx, [gradients.get(v.ref(), tf.zeros_like(v)) for v in variables or ()]

      return (z, log_det), backward

    return encode(x)


def _encode(bijector, x, kwargs, inputs):
  """(bijector.inverse(x), its log-det per example), layer by layer; each layer's input is appended to `inputs`
  (unless it is None)."""
  log_dets = []

  def visit(layer, x, layer_kwargs):
    if inputs is not None:
      inputs.append(x)
    y = layer.inverse(x, **layer_kwargs)
    log_dets.append(layer.inverse_log_det_jacobian(x, event_ndims=3, **layer_kwargs))
    return y

  z = walk.through_layers(bijector, x, kwargs, visit)
  return z, sum(log_dets, 0.0)


def _backward(bijector, z, dz, dlog_det, kwargs, inputs, gradients):
  """From the output z of `bijector`'s encoding direction and dL/dz: (its input, dL/d input). dL/d(log-det) is
  `dlog_det` for every layer, whose log-dets add up; the layers' parameter gradients are added to `gradients`."""

  def visit(layer, y_and_dy, layer_kwargs):
    return _layer_backward(layer, *y_and_dy, dlog_det, layer_kwargs, inputs, gradients)

  return walk.through_layers(bijector, (z, dz), kwargs, visit, backwards=True)


def _layer_backward(bijector, y, dy, dlog_det, kwargs, inputs, gradients):
  """One layer's share of `_backward`: (its input x, dL/dx) from its output y and dL/dy."""
  # Not before the layer above is done with its gradients, so that one layer's activations are alive at a time
  # (the graph would otherwise let every layer's recomputation run as soon as its input is known).
  with tf.control_dependencies([dy]):
    x = bijector.forward(tf.identity(y), **kwargs) if inputs is None else tf.identity(inputs.pop())
  # A fresh tensor: TFP's bijector cache would otherwise hand back y for x without recomputing it on the tape.
  x = tf.identity(x)
  with tf.GradientTape() as tape:
    tape.watch(x)
    y = bijector.inverse(x, **kwargs)
    log_det = bijector.inverse_log_det_jacobian(x, event_ndims=3, **kwargs) + tf.zeros_like(dlog_det)
  variables = tape.watched_variables()
  dx, *dvariables = tape.gradient([y, log_det], [x, *variables], output_gradients=[dy, dlog_det])
  for variable, gradient in zip(variables, dvariables):
    if gradient is not None:
      gradients[variable.ref()] = gradients[variable.ref()] + gradient if variable.ref() in gradients else gradient
  # The layer below starts from dx (its control dependency above) only once this layer's parameter gradients are
  # computed. Nothing else needs them before the end, so the executor may otherwise leave them, and the
  # activations they read, for later: every layer's hidden activations then lived to the end of the backward pass.
  with tf.control_dependencies([gradient for gradient in dvariables if gradient is not None]):
    return x, tf.identity(dx)
