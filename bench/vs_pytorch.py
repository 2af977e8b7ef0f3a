"""glow_tf against the PyTorch ports users pick instead, and tfp.bijectors.Glow, side by side on this CPU.

    pip install -r requirements.txt -r bench/requirements.txt
    git clone https://github.com/rosinality/glow-pytorch /tmp/rosinality
    git clone https://github.com/y0ast/Glow-PyTorch /tmp/y0ast
    python bench/vs_pytorch.py --rosinality=/tmp/rosinality --y0ast=/tmp/y0ast

The ports are imported from those checkouts as they are (their model files, never copied here). Every config
runs in a fresh subprocess that builds all four implementations at the same architecture (32x32x3, L levels of K
steps: ActNorm, LU 1x1 convolution, coupling with a conv3x3(W) -> conv1x1(W) -> zero conv3x3 network, learned
split priors), then times them round-robin in that one process, the order alternating between rounds (see
common.images_per_second), so that load from elsewhere falls on all alike. Torch and TensorFlow get the same number of
intra-op threads (--threads). Each TensorFlow side is timed as a graph and with XLA and reported at its best.

Training is one step on one batch: forward, backward and an Adam update (learning rate 1e-4), the loss the
port's own train.py uses (bits/dim with its dequantisation). log_prob is the forward pass alone, without
gradients. Numbers are images/s, medians over the rounds.

What differs between the ports, as their code has it:
- rosinality's coupling width is fixed at 512 in its AffineCoupling's defaults; other widths set those defaults
  before the model is built. Its ActNorm divides by the unbiased standard deviation; its last level always uses
  the LU 1x1 convolution.
- y0ast's Glow takes (H, W, C) and adds its dequantisation noise to its input in place: every call gets a copy.

Where a step's time goes: `--op_profile=STEPS` also profiles glow_tf (graph) and rosinality for that many steps of
each measurement and prints, per config, their op times grouped by what the ops do (see op_times.py), beside each
side's wall time without the profiler:

    python bench/vs_pytorch.py --rosinality=DIR --y0ast=DIR --hidden=512 --batch=16 --couplings=affine --op_profile=10

On an AVX-512 machine, an AVX2-only one is stood in for by capping every library's instruction set (the CPU line
then names the caps; clock, caches and memory stay this machine's, so it is a stand-in, not a measurement there):

    ONEDNN_MAX_CPU_ISA=AVX2 XLA_FLAGS=--xla_cpu_max_isa=AVX2 ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 \
        python bench/vs_pytorch.py --rosinality=DIR --y0ast=DIR
"""

import argparse
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # pylint: disable=g-import-not-at-top
import op_times  # pylint: disable=g-import-not-at-top
from common import machine  # pylint: disable=g-import-not-at-top

IMAGE_SIZE, LEVELS, STEPS = 32, 3, 8
MEASUREMENTS = ("train", "log_prob")
TF_SIDES = ("glow_tf", "tfp")
PORTS = ("rosinality", "y0ast")


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--rosinality", required=True, help="a checkout of github.com/rosinality/glow-pytorch")
  parser.add_argument("--y0ast", required=True, help="a checkout of github.com/y0ast/Glow-PyTorch")
  parser.add_argument("--hidden", default="128,512", help="comma-separated coupling widths W")
  parser.add_argument("--batch", default="16,64", help="comma-separated batch sizes")
  parser.add_argument("--couplings", default="affine,additive", help="comma-separated: affine, additive")
  parser.add_argument("--threads", type=int, default=os.cpu_count(), help="intra-op threads for both frameworks")
  parser.add_argument("--repeats", type=int, default=5, help="timed rounds; medians are reported")
  parser.add_argument("--seconds", type=float, default=2.0, help="minimum duration of one timing")
  parser.add_argument("--op_profile", type=int, default=0,
                      help="profile glow_tf and rosinality for this many steps per measurement (0: no profile)")
  parser.add_argument("--top", type=int, default=12, help="with --op_profile: the most expensive ops listed per side")
  parser.add_argument("--worker", help=argparse.SUPPRESS)
  args = parser.parse_args()
  for name in PORTS:
    if not os.path.isfile(os.path.join(getattr(args, name), "model.py")):
      parser.error(f"--{name}={getattr(args, name)} holds no model.py: pass a checkout of that repository.")
  return args


class Measured:
  """What a timed call returns: common.images_per_second reads results back with .numpy()."""

  def __init__(self, value):
    self.value = value

  def numpy(self):
    return self.value


def load_module(name, path, search_path=None):
  """The module in file `path`, imported as `name`; with `search_path` first on sys.path while it imports."""
  spec = importlib.util.spec_from_file_location(name, path)
  module = importlib.util.module_from_spec(spec)
  if search_path:
    sys.path.insert(0, search_path)
  try:
    spec.loader.exec_module(module)
  finally:
    if search_path:
      sys.path.remove(search_path)
  return module


class Rosinality:
  """rosinality/glow-pytorch's Glow, trained with its train.py's loss."""

  def __init__(self, checkout, hidden, coupling, x):
    import torch  # pylint: disable=g-import-not-at-top
    module = load_module("rosinality_glow", os.path.join(checkout, "model.py"))
    module.AffineCoupling.__init__.__defaults__ = (hidden, True)  # (filter_size, affine); `affine` is passed.
    self.model = module.Glow(3, STEPS, LEVELS, affine=coupling == "affine", conv_lu=True)
    self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-4)
    self.x = x
    self.n_pixel = x[0].numel()
    with torch.no_grad():
      self.model(x + torch.rand_like(x) / 256)  # Its ActNorms initialise on the first call.

  def _bits_per_dim(self, log_p, logdet):
    # train.py's calc_loss with n_bins = 256.
    log_likelihood = log_p + logdet - math.log(256) * self.n_pixel
    return (-log_likelihood / (math.log(2) * self.n_pixel)).mean()

  def train(self):
    import torch  # pylint: disable=g-import-not-at-top
    log_p, logdet, _ = self.model(self.x + torch.rand_like(self.x) / 256)
    loss = self._bits_per_dim(log_p, logdet.mean())
    self.model.zero_grad()
    loss.backward()
    self.optimizer.step()
    return Measured(loss.item())

  def log_prob(self):
    import torch  # pylint: disable=g-import-not-at-top
    with torch.no_grad():
      log_p, logdet, _ = self.model(self.x)
    return Measured((log_p + logdet).numpy())


class Y0ast:
  """y0ast/Glow-PyTorch's Glow, trained with its train.py's loss (its bits/dim, dequantisation included)."""

  def __init__(self, checkout, hidden, coupling, x):
    import torch  # pylint: disable=g-import-not-at-top
    # Its model.py imports its siblings `modules` and `utils` by plain name: import them, then take the names back.
    taken = {name: sys.modules.pop(name) for name in ("modules", "utils") if name in sys.modules}
    module = load_module("y0ast_glow", os.path.join(checkout, "model.py"), search_path=checkout)
    for name in ("modules", "utils"):
      sys.modules[f"y0ast_glow_{name}"] = sys.modules.pop(name)
    sys.modules.update(taken)
    self.model = module.Glow((IMAGE_SIZE, IMAGE_SIZE, 3), hidden, STEPS, LEVELS, 1.0, "invconv", coupling, True, 10,
                             True, False)
    self.model.train()
    self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-4)
    self.x = x
    with torch.no_grad():
      self.model(x.clone(), None)  # Its ActNorms initialise on the first call, in training mode.

  def train(self):
    _, bpd, _ = self.model(self.x.clone(), None)
    loss = bpd.mean()
    self.optimizer.zero_grad()
    loss.backward()
    self.optimizer.step()
    return Measured(loss.item())

  def log_prob(self):
    import torch  # pylint: disable=g-import-not-at-top
    with torch.no_grad():
      _, bpd, _ = self.model(self.x.clone(), None)
    return Measured(bpd.numpy())


def time_worker(args, hidden, batch, coupling):
  """For one config, every implementation in this process: {"timings": {implementation/measurement: [images/s per
  round]}, "ops": {measurement: {side: op times}}}, the op times only with --op_profile."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import torch  # pylint: disable=g-import-not-at-top
  from common import Ours, Tfp, images_per_second  # pylint: disable=g-import-not-at-top

  warnings.simplefilter("ignore", UserWarning)  # The ports' torch.qr / torch.lu deprecations, once per model.
  tf.config.threading.set_intra_op_parallelism_threads(args.threads)
  torch.set_num_threads(args.threads)
  torch.manual_seed(0)
  np.random.seed(0)  # rosinality's LU 1x1 convolution draws its initial weights from numpy.
  pixels = np.random.default_rng(0).uniform(-0.5, 0.5, [batch, IMAGE_SIZE, IMAGE_SIZE, 3]).astype(np.float32)
  x_tf = tf.constant(pixels)
  x_torch = torch.from_numpy(pixels.transpose(0, 3, 1, 2).copy())
  architecture = (IMAGE_SIZE, LEVELS, STEPS, hidden, batch, coupling, x_tf)
  models = {}
  for xla in (False, True):
    suffix = " xla" if xla else ""
    models[f"glow_tf{suffix}"] = Ours(*architecture, optimizer="adam", xla=xla)
    models[f"tfp{suffix}"] = Tfp(*architecture, optimizer="adam", xla=xla)
  models["rosinality"] = Rosinality(args.rosinality, hidden, coupling, x_torch)
  models["y0ast"] = Y0ast(args.y0ast, hidden, coupling, x_torch)
  calls = {}
  for name, model in models.items():
    if name in PORTS:
      calls[f"{name}/train"], calls[f"{name}/log_prob"] = model.train, model.log_prob
    else:
      calls[f"{name}/train"] = lambda m=model: m.train(x_tf)
      calls[f"{name}/log_prob"] = lambda m=model: m.log_prob(x_tf)
  for call in calls.values():
    call().numpy()  # Traces, and compiles with XLA.
  result = {"timings": images_per_second(calls, batch, args.repeats, args.seconds), "ops": {}}
  if args.op_profile:
    for measurement in MEASUREMENTS:
      result["ops"][measurement] = {
          "glow_tf": op_times.tensorflow_ops(calls[f"glow_tf/{measurement}"], args.op_profile),
          "rosinality": op_times.torch_ops(calls[f"rosinality/{measurement}"], args.op_profile)}
  return result


def best(medians, side, measurement):
  """(images/s, mode) of a TensorFlow side at its faster of graph and XLA."""
  graph, xla = medians[f"{side}/{measurement}"], medians[f"{side} xla/{measurement}"]
  return (xla, "xla") if xla > graph else (graph, "graph")


def table(results):
  lines = []
  for measurement in MEASUREMENTS:
    lines += [f"\n{measurement}, images/s (median of rounds):\n",
              "| config | glow_tf | tfp.bijectors.Glow | rosinality | y0ast | glow_tf / best port | glow_tf / tfp |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for (hidden, batch, coupling), result in results:
      timings = result["timings"]
      medians = {key: statistics.median(values) for key, values in timings.items()}
      ours, our_mode = best(medians, "glow_tf", measurement)
      theirs, their_mode = best(medians, "tfp", measurement)
      ports = [medians[f"{port}/{measurement}"] for port in PORTS]
      lines.append(f"| W={hidden}, batch {batch}, {coupling} | {ours:.1f} ({our_mode}) | {theirs:.1f} ({their_mode}) "
                   f"| {ports[0]:.1f} | {ports[1]:.1f} | {ours / max(ports):.2f}x | {ours / theirs:.2f}x |")
  return "\n".join(lines)


def op_tables(results, args):
  """Per config and measurement, where glow_tf's (graph) and rosinality's steps spend their time."""
  lines = []
  for (hidden, batch, coupling), result in results:
    for measurement, totals in result["ops"].items():
      wall_ms = {side: 1e3 * batch / statistics.median(result["timings"][f"{side}/{measurement}"]) for side in totals}
      lines += [f"\nWhere the time goes: {measurement}, W={hidden}, batch {batch}, {coupling}; {args.op_profile} "
                f"profiled steps\n", *op_times.table(totals, wall_ms, args.op_profile, args.top)]
  return "\n".join(lines)


def commit(checkout):
  result = subprocess.run(["git", "-C", checkout, "rev-parse", "HEAD"], stdout=subprocess.PIPE, text=True)
  return result.stdout.strip()[:12] or "not a git checkout"


def main():
  args = parse_args()
  if args.worker:
    hidden, batch, coupling = json.loads(args.worker)
    print(json.dumps(time_worker(args, hidden, batch, coupling)))
    return
  import torch  # pylint: disable=g-import-not-at-top
  print(f"{machine()}; torch {torch.__version__}, {args.threads} intra-op threads")
  print(f"rosinality/glow-pytorch at {commit(args.rosinality)}, y0ast/Glow-PyTorch at {commit(args.y0ast)}")
  print(f"{IMAGE_SIZE}x{IMAGE_SIZE}x3, L={LEVELS}, K={STEPS}, LU 1x1, Adam; {args.repeats} rounds of "
        f"{args.seconds:g} s")
  results = []
  for coupling in args.couplings.split(","):
    for hidden in map(int, args.hidden.split(",")):
      for batch in map(int, args.batch.split(",")):
        config = [hidden, batch, coupling]
        command = [sys.executable, os.path.abspath(__file__), f"--rosinality={args.rosinality}",
                   f"--y0ast={args.y0ast}", f"--threads={args.threads}", f"--repeats={args.repeats}",
                   f"--seconds={args.seconds}", f"--op_profile={args.op_profile}", f"--top={args.top}",
                   f"--worker={json.dumps(config)}"]
        output = subprocess.run(command, stdout=subprocess.PIPE, check=True, text=True).stdout
        results.append((tuple(config), json.loads(output.strip().splitlines()[-1])))
        print(f"done: W={hidden}, batch {batch}, {coupling}", file=sys.stderr, flush=True)
  print(table(results))
  if args.op_profile:
    print(op_tables(results, args))


if __name__ == "__main__":
  main()
