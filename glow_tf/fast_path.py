"""The settings that make a model fast on the machine at hand: whether to compile with XLA, and the thread pools.

XLA fuses the many small element-wise ops between the convolutions, but on CPU its convolutions are slower than
the oneDNN ones TensorFlow's graph runs, and slower still in the backward pass. So it wins where a step is many
small ops and loses where the convolutions dominate. `bench/xla_choice.py` measured the crossing on a 2-core
CPU (`bench/XLA_CHOICE.md`; forward GFLOP of convolutions per call): XLA trains 1.97x faster than the graph for
digits' earlier preset (K=8, W=64, 0.2 GFLOP a step) and 1.03x at 32x32, W=128, batch 16 (3.8 GFLOP), but
0.66-0.82x from 7.7 GFLOP up; it computes log_prob 1.09-2.69x faster up to 7.7 GFLOP and 0.85-0.98x from 10.4
GFLOP up. The thresholds below sit between those points. Without AVX-512 the graph's oneDNN convolutions lose
about 30% and XLA's, which are TensorFlow's own Eigen kernels built without AVX-512, about 6%: with every library
capped at AVX2, XLA computed log_prob 1.06-2.17x faster than the graph at every size measured up to 32 GFLOP a
call, and was the faster in 7 of 8 configs of bench/vs_pytorch.py's grid up to 128 GFLOP, while the training
crossing stayed where it was. So where oneDNN has no AVX-512, log_prob's limit is XLA_MAX_LOG_PROB_FLOPS_WITHOUT_AVX512.
XLA's compilation costs seconds before the first call (5-9 s more than the graph for a training step), which the
faster steps pay back after a few hundred steps for that model; so it is the default only for work of at least
MIN_CALLS calls (digits' presets train 1000 steps; its present, deeper one turns XLA off, `glow_tf.data.digits`).
On GPUs and TPUs nothing here was measured, so the default there is the graph.

Garbage collection: importing TensorFlow, TensorFlow Probability and Keras leaves about 470,000 objects that
live as long as the process, and Python's full collections walk all of them: the ones that come as tracing
builds graphs and the ones at interpreter exit, which took about a second of every train.py and evaluate.py
process. `freeze_imports` moves them out of the collector's reach (`bench/startup.py` measures what it saves).

Thread pools: TensorFlow's own choice (one intra-op thread per core, as many inter-op threads) measured as fast as
any explicit setting on 2 cores, and one inter-op thread 10% slower in training, so 0 ("TensorFlow's choice")
is the default.
"""

import gc
import os

import tensorflow as tf

from glow_tf import multiscale

# Forward FLOPs of one call, per replica, up to which XLA is the default on CPU.
XLA_MAX_TRAINING_FLOPS = 5e9
XLA_MAX_LOG_PROB_FLOPS = 10e9
XLA_MAX_LOG_PROB_FLOPS_WITHOUT_AVX512 = 130e9
MIN_CALLS = 1000
# Where Linux lists the CPU's instruction-set flags.
CPUINFO = "/proc/cpuinfo"


def forward_flops(config) -> int:
  """The analytic FLOPs of one image's forward pass: 2 k^2 C_in C_out per output pixel of every convolution
  (coupling networks, invertible 1x1 convolutions and split priors); element-wise work is not counted."""
  hidden, flops = config.hidden_channels, 0
  for level in multiscale.levels(config):
    height, width, channels = level.shape
    half = channels // 2
    coupling_out = channels if config.coupling == "affine" else channels - half
    per_step = channels * channels + 9 * half * hidden + hidden * hidden + 9 * hidden * coupling_out
    flops += config.steps_per_level * per_step * height * width
    if not level.is_top:
      flops += 9 * half * channels * height * width  # The split prior: staying half -> (mean, log-scale).
  return 2 * flops


def use_xla(setting, config, batch_per_replica, calls, training=True):
  """Whether to compile with XLA: `setting` if it is True or False, else (None: automatic) on CPU for at least
  MIN_CALLS calls of at most XLA_MAX_TRAINING_FLOPS (a training step) or XLA_MAX_LOG_PROB_FLOPS (log_prob;
  XLA_MAX_LOG_PROB_FLOPS_WITHOUT_AVX512 where oneDNN has no AVX-512) forward FLOPs each."""
  if setting is not None:
    return bool(setting)
  if calls < MIN_CALLS or tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("TPU"):
    return False
  if training:
    limit = XLA_MAX_TRAINING_FLOPS
  else:
    limit = XLA_MAX_LOG_PROB_FLOPS if onednn_has_avx512() else XLA_MAX_LOG_PROB_FLOPS_WITHOUT_AVX512
  return forward_flops(config) * batch_per_replica <= limit


def onednn_has_avx512():
  """Whether the graph's convolutions (oneDNN's) run AVX-512 kernels here: the CPU has AVX-512 and
  ONEDNN_MAX_CPU_ISA does not cap oneDNN below it. Where the CPU's flags cannot be read, yes: the case the
  first limits were measured in."""
  cap = os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper()
  if cap and not cap.startswith(("AVX512", "AVX10", "ALL", "DEFAULT")):
    return False
  try:
    with open(CPUINFO) as cpuinfo:
      return any(line.startswith("flags") and "avx512f" in line.split() for line in cpuinfo)
  except OSError:
    return True


def set_thread_pools(intra_op_threads=0, inter_op_threads=0):
  """Sizes TensorFlow's thread pools (0 leaves a pool at TensorFlow's choice). Call before TensorFlow runs any op:
  the pools are made then, and a later change raises RuntimeError."""
  for name, value in (("intra_op_threads", intra_op_threads), ("inter_op_threads", inter_op_threads)):
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
      raise ValueError(f"{name} must be a whole number >= 0 (0: TensorFlow's choice), got {value!r}.")
  if intra_op_threads:
    tf.config.threading.set_intra_op_parallelism_threads(intra_op_threads)
  if inter_op_threads:
    tf.config.threading.set_inter_op_parallelism_threads(inter_op_threads)


def freeze_imports():
  """Exempts every object alive now (call it once TensorFlow and the library are imported: their modules,
  classes and op registries, which live until the process ends) from the garbage collector's full collections.
  Objects made later are collected as before."""
  gc.freeze()
