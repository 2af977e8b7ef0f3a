"""What each speed lever is worth: glow_tf as shipped against glow_tf with one lever undone or added, in one run.

    python bench/levers.py                          # W=128 and W=512, batch 16, affine; about 20 minutes
    python bench/levers.py --hidden=128 --repeats=3

Each variant is traced with one lever undone (by patching the library while its functions are traced, so
the shipped code keeps one path), then all variants are timed interleaved, the order alternating between
repeats; the table gives the median images/s of each and its ratio to the shipped model. Variants:

- shipped: the library as it is.
- xla: the same, with `jit_compile=True` on the training step's gradient function, log_prob and sample.
- unfused actnorm-1x1: ActNorm and the invertible 1x1 convolution as two layers instead of one convolution.
- 1x1 by einsum: the invertible 1x1 convolution as an einsum instead of a 1x1 conv2d.
- unfolded network actnorm: the coupling network's ActNorms as separate ops instead of folded into the convs.
- network twice: the coupling's log-det recomputed from a second network evaluation, as a bijector without
  a joint output-and-log-det path does.
- cached 1x1 kernels (added, not undone; log_prob and sample only, since training changes the weights every
  step): every invertible 1x1 convolution's kernel W^T and inverse W^-T (the LU products and the triangular
  solves) computed once, eagerly, and traced in as constants, as a server with fixed weights could.
- xla optimizer update (added; train only): Adamax's update of all the variables compiled as one XLA function,
  so that its ~3400 small element-wise ops become a few fused loops.
"""

import argparse
import contextlib
import os
import statistics
import sys
import weakref

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # pylint: disable=g-import-not-at-top

from glow_tf import GlowConfig  # pylint: disable=g-import-not-at-top
from glow_tf.bijectors import (  # pylint: disable=g-import-not-at-top
    flow_step, half_coupling, invertible_1x1_conv, mixings, networks)
from glow_tf.training import TrainConfig, Trainer  # pylint: disable=g-import-not-at-top
from common import images_per_second  # pylint: disable=g-import-not-at-top


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--hidden", default="128,512", help="comma-separated hidden widths W")
  parser.add_argument("--batch", type=int, default=16)
  parser.add_argument("--coupling", default="affine", choices=("affine", "additive"))
  parser.add_argument("--variants", default=",".join(VARIANTS[1:]),
                      help="comma-separated levers to time against the shipped library: " + ", ".join(VARIANTS[1:]))
  parser.add_argument("--repeats", type=int, default=3, help="timed repeats per measurement; medians are reported")
  parser.add_argument("--seconds", type=float, default=2.0, help="minimum duration of one timed repeat")
  return parser.parse_args()


@contextlib.contextmanager
def patched(owner, name, value):
  """Sets `owner.name` (a module's or a class's attribute, maybe inherited) to `value` for the duration.

  Raises:
    AttributeError: `owner` has no `name`: the library changed, and setting it would leave the lever a no-op.
  """
  if not hasattr(owner, name):
    raise AttributeError(
        f"{getattr(owner, '__qualname__', owner.__name__)}.{name} no longer exists, so this lever would undo "
        f"nothing: point it at what the library does now.")
  missing = object()
  old = vars(owner).get(name, missing)
  setattr(owner, name, value)
  try:
    yield
  finally:
    if old is missing:
      delattr(owner, name)
    else:
      setattr(owner, name, old)


def einsum_mix(x, kernel, bias=None):
  y = tf.einsum("...c,cd->...d", x, kernel)
  return y if bias is None else y + bias


def unfolded_conv_actnorm_relu(x, kernel, actnorm):
  return tf.nn.relu(actnorm.normalize(networks.conv2d_same(x, kernel)))


def log_det_by_second_pass(self, y, **kwargs):
  return self._inverse_and_log_det(y, **kwargs)[1]  # pylint: disable=protected-access


def log_det_by_second_forward_pass(self, x, **kwargs):
  return self._forward_and_log_det(x, **kwargs)[1]  # pylint: disable=protected-access


def computed_once(method):
  """`method(self)` evaluated eagerly on its first call for each `self`, then returned as a constant."""
  values = weakref.WeakKeyDictionary()

  def cached(self):
    if self not in values:
      with tf.init_scope():  # Out of the graph being traced: the value, not the ops that compute it.
        values[self] = method(self).numpy()
    return tf.constant(values[self])
  return cached


def undo(variant):
  """The patches that undo `variant`'s lever while its functions are traced."""
  stack = contextlib.ExitStack()
  if variant == "unfused actnorm-1x1":
    stack.enter_context(patched(flow_step.FlowStep, "_fuses_actnorm_and_mixing", lambda self: False))
  elif variant == "1x1 by einsum":
    stack.enter_context(patched(flow_step, "mix_channels", einsum_mix))
    stack.enter_context(patched(invertible_1x1_conv, "mix_channels", einsum_mix))
  elif variant == "unfolded network actnorm":
    stack.enter_context(patched(networks, "_conv_actnorm_relu", unfolded_conv_actnorm_relu))
  elif variant == "network twice":
    coupling = half_coupling.HalfCoupling
    stack.enter_context(patched(coupling, "_inverse_log_det_jacobian", log_det_by_second_pass))
    stack.enter_context(patched(coupling, "_forward_log_det_jacobian", log_det_by_second_forward_pass))
  elif variant == "cached 1x1 kernels":
    # Each kind computes its own kernels: patching their base would leave the lever undoing nothing.
    for kind in mixings.KINDS.values():
      for name in ("conv_kernel", "inverse_conv_kernel"):
        stack.enter_context(patched(kind, name, computed_once(getattr(kind, name))))
  return stack


VARIANTS = ("shipped", "xla", "unfused actnorm-1x1", "1x1 by einsum", "unfolded network actnorm", "network twice",
            "cached 1x1 kernels", "xla optimizer update")
MEASUREMENTS = ("train", "log_prob", "sample")
# What a lever can change: caching needs fixed weights; the optimiser only runs in training.
MEASURED_BY = {"cached 1x1 kernels": ("log_prob", "sample"), "xla optimizer update": ("train",)}


def compile_optimizer_update(trainer):
  """Makes `trainer`'s optimiser apply its update to all the model's variables as one XLA function."""
  optimizer, variables = trainer.optimizer, trainer.glow.trainable_variables
  apply_gradients = optimizer.apply_gradients
  update = tf.function(lambda gradients: apply_gradients(zip(gradients, variables)), jit_compile=True)
  optimizer.apply_gradients = lambda pairs: update([gradient for gradient, _ in pairs])


def build(variant, config, batch, x):
  """The variant's train, log_prob and sample calls, traced (and warmed up) with its lever undone."""
  xla = variant == "xla"
  trainer = Trainer(config, TrainConfig(batch_size=batch, warmup_steps=100, xla=xla))
  trainer.initialize(x)
  if variant == "xla optimizer update":
    compile_optimizer_update(trainer)
  glow = trainer.glow
  log_prob = tf.function(glow.log_prob, jit_compile=xla)
  sample = tf.function(lambda: glow.sample(batch, 1.0, seed=tf.constant([1, 2])), jit_compile=xla)
  calls = {"train": lambda: trainer.train_step(x)["bits_per_dim"], "log_prob": lambda: log_prob(x),
           "sample": sample}
  calls = {m: call for m, call in calls.items() if m in MEASURED_BY.get(variant, MEASUREMENTS)}
  with undo(variant):
    for call in calls.values():
      call().numpy()
  return calls


def measure(variants, hidden, batch, coupling, repeats, seconds):
  config = GlowConfig(image_shape=(32, 32, 3), levels=3, steps_per_level=8, hidden_channels=hidden,
                      coupling=coupling)
  x = tf.random.stateless_uniform([batch, 32, 32, 3], [1, 2], -0.5, 0.5)
  calls = {(v, m): call for v in variants for m, call in build(v, config, batch, x).items()}
  timings = images_per_second(calls, batch, repeats, seconds)
  return {key: statistics.median(t) for key, t in timings.items()}


def main():
  args = parse_args()
  variants = ["shipped"] + [v for v in args.variants.split(",") if v and v != "shipped"]
  unknown = [v for v in variants if v not in VARIANTS]
  if unknown:
    raise SystemExit(f"Unknown variants {unknown}; choose from {', '.join(VARIANTS[1:])}.")
  print(f"`python bench/levers.py {' '.join(sys.argv[1:])}`: 32x32x3, L=3, K=8, batch {args.batch}, "
        f"{args.coupling}; images/s, median of {args.repeats}, (ratio to shipped)\n")
  print("| W | variant | train | log_prob | sample |")
  print("|---|---|---|---|---|")
  for hidden in (int(w) for w in args.hidden.split(",")):
    speed = measure(variants, hidden, args.batch, args.coupling, args.repeats, args.seconds)
    for variant in variants:
      cells = [f"{speed[variant, m]:.1f} ({speed[variant, m] / speed['shipped', m]:.2f})"
               if (variant, m) in speed else "n/a" for m in MEASUREMENTS]
      print(f"| {hidden} | {variant} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
  main()
