"""Where a step's time goes, op by op: glow_tf under TensorFlow's profiler beside rosinality/glow-pytorch under
torch.profiler, on the same model and batch in one process.

    python bench/op_profile.py --rosinality=DIR                  # W=512, batch 16, affine, training
    python bench/op_profile.py --rosinality=DIR --hidden=128 --measurement=log_prob

The models are vs_pytorch.py's (32x32x3, L=3, K=8, LU 1x1, Adam, same loss and thread count). Each side is
first timed without a profiler (median ms per step, interleaved), then profiled for --steps steps. Op times
are each op's own time (time inside ops it calls, such as a function call's body, is not counted twice), summed
over threads and divided by the steps: two ops running at once on two threads both count, so a side's op total
can exceed its wall time. What the ops do not cover is time the framework spends between them: Python, tracing
or dispatch, waiting.

Ops are grouped by what they do, so that the two frameworks' vocabularies line up (a TensorFlow
`_FusedConv2D` and a torch `aten::mkldnn_convolution` are both "convolution"); the table shows each group's ms
per step and op count per step, then each side's most expensive ops by name.
"""

import argparse
import collections
import glob
import os
import re
import statistics
import tempfile
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # pylint: disable=g-import-not-at-top

# (group, pattern): the first pattern that matches an op's type names its group.
GROUPS = (
    ("convolution backward", r"Conv2DBackprop|convolution_backward"),
    ("convolution", r"Conv2D|convolution"),
    ("bias gradient", r"BiasAddGrad"),
    ("optimizer update", r"ApplyAdam|foreach|Optimizer\.step|addcdiv|addcmul|lerp"),
    ("small linear algebra", r"MatMul|MatrixTriangularSolve|MatrixInverse|MatrixDiag|MatrixBandPart|"
                             r"aten::(mm|bmm|matmul|linalg|triangular|inverse|diag|triu|tril|lu)"),
    ("layout and copies", r"Transpose|Reshape|ConcatV2|Split|Slice|Pack|Unpack|Tile|Identity|"
                          r"aten::(copy_|contiguous|cat|split|chunk|narrow|view|permute|transpose|reshape|"
                          r"clone|empty|zeros|ones|fill_|to|_to_copy|flatten|squeeze|unsqueeze|select|slice|"
                          r"expand|t|stack|index)$"),
    ("reductions", r"^(Sum|Mean|Max|Min|Prod|L2Loss)$|aten::(sum|mean|max|min|norm|std|var|prod|logsumexp)"),
    ("element-wise", r".*"),
)
# Calls whose own time is their bodies' bookkeeping, not work: their bodies' ops are counted instead.
WRAPPERS = re.compile(r"PartitionedCall|^__inference|^FunctionRun|^ExecutorState|^EagerExecute|^EagerLocalExecute|"
                      r"^While$|^If$|^StatelessIf$|ProfilerStep")


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--rosinality", required=True, help="a checkout of github.com/rosinality/glow-pytorch")
  parser.add_argument("--hidden", type=int, default=512, help="coupling width W")
  parser.add_argument("--batch", type=int, default=16)
  parser.add_argument("--coupling", default="affine", choices=("affine", "additive"))
  parser.add_argument("--measurement", default="train", choices=("train", "log_prob"))
  parser.add_argument("--threads", type=int, default=os.cpu_count(), help="intra-op threads for both frameworks")
  parser.add_argument("--steps", type=int, default=10, help="profiled steps per side")
  parser.add_argument("--top", type=int, default=12, help="most expensive ops listed per side")
  return parser.parse_args()


def group(op_type):
  return next(name for name, pattern in GROUPS if re.search(pattern, op_type))


def tensorflow_ops(call, steps):
  """{op type: (total own seconds, count)} of `steps` calls, from TensorFlow's host trace."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tensorflow.tsl.profiler.protobuf import xplane_pb2  # pylint: disable=g-import-not-at-top
  logdir = tempfile.mkdtemp(prefix="op_profile_")
  tf.profiler.experimental.start(logdir, options=tf.profiler.experimental.ProfilerOptions(host_tracer_level=2))
  for _ in range(steps):
    out = call()
  out.numpy()
  tf.profiler.experimental.stop()
  space = xplane_pb2.XSpace()
  with open(glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)[0], "rb") as f:
    space.ParseFromString(f.read())
  totals = collections.defaultdict(lambda: [0.0, 0])
  for plane in space.planes:
    if plane.name != "/host:CPU":
      continue
    for line in plane.lines:
      events = sorted(((e.offset_ps, e.offset_ps + e.duration_ps, plane.event_metadata[e.metadata_id].name)
                       for e in line.events), key=lambda e: (e[0], -e[1]))
      for name, own in _own_times(events):
        op_type = _tensorflow_op_type(name)
        if op_type and not WRAPPERS.search(op_type):
          totals[op_type][0] += own / 1e12
          totals[op_type][1] += 1
  return totals


def _tensorflow_op_type(name):
  """An op kernel's trace name is `node name:op type`, perhaps followed by `#arguments#`; None for other events
  (the runtime's own, such as `ExecutorState::Process`)."""
  name = name.split("#", 1)[0]
  if ":" not in name or "::" in name or name.endswith(":"):
    return None
  return name.rsplit(":", 1)[1]


def _own_times(events):
  """(name, own picoseconds) of nested (start, end, name) events on one thread, children's time taken out."""
  stack, result = [], []
  for start, end, name in events:
    while stack and stack[-1][1] <= start:
      result.append(stack.pop()[2:])
    if stack:
      stack[-1][3] -= min(end, stack[-1][1]) - start
    stack.append([start, end, name, end - start])
  result.extend(item[2:] for item in stack)
  return result


def torch_ops(call, steps):
  """{op name: (total own seconds, count)} of `steps` calls, from torch.profiler."""
  import torch  # pylint: disable=g-import-not-at-top
  with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profile:
    for _ in range(steps):
      call()
  return {e.key: [e.self_cpu_time_total / 1e6, e.count] for e in profile.key_averages()
          if not WRAPPERS.search(e.key)}


def grouped(totals, steps):
  groups = collections.defaultdict(lambda: [0.0, 0])
  for op_type, (seconds, count) in totals.items():
    groups[group(op_type)][0] += seconds / steps
    groups[group(op_type)][1] += count / steps
  return groups


def main():
  args = parse_args()
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import torch  # pylint: disable=g-import-not-at-top
  from common import Ours, images_per_second  # pylint: disable=g-import-not-at-top
  from common import machine  # pylint: disable=g-import-not-at-top
  from vs_pytorch import IMAGE_SIZE, LEVELS, STEPS, Rosinality  # pylint: disable=g-import-not-at-top

  warnings.simplefilter("ignore", UserWarning)
  tf.config.threading.set_intra_op_parallelism_threads(args.threads)
  torch.set_num_threads(args.threads)
  torch.manual_seed(0)
  np.random.seed(0)
  pixels = np.random.default_rng(0).uniform(-0.5, 0.5, [args.batch, IMAGE_SIZE, IMAGE_SIZE, 3]).astype(np.float32)
  x_tf = tf.constant(pixels)
  ours = Ours(IMAGE_SIZE, LEVELS, STEPS, args.hidden, args.batch, args.coupling, x_tf, optimizer="adam")
  port = Rosinality(args.rosinality, args.hidden, args.coupling, torch.from_numpy(pixels.transpose(0, 3, 1, 2).copy()))
  calls = {"glow_tf": lambda: getattr(ours, args.measurement)(x_tf), "rosinality": getattr(port, args.measurement)}
  for call in calls.values():
    call().numpy()
  timings = images_per_second(calls, args.batch, 5, 1.5)
  wall = {side: 1e3 * args.batch / statistics.median(t) for side, t in timings.items()}
  totals = {"glow_tf": tensorflow_ops(calls["glow_tf"], args.steps),
            "rosinality": torch_ops(calls["rosinality"], args.steps)}
  groups = {side: grouped(t, args.steps) for side, t in totals.items()}

  print(f"{machine()}; torch {torch.__version__}, {args.threads} intra-op threads")
  print(f"{args.measurement}, W={args.hidden}, batch {args.batch}, {args.coupling}; {args.steps} profiled steps\n")
  print("| ms per step (ops per step) | glow_tf | rosinality | glow_tf / rosinality |")
  print("| --- | --- | --- | --- |")
  print(f"| wall time, unprofiled | {wall['glow_tf']:.1f} | {wall['rosinality']:.1f} | "
        f"{wall['glow_tf'] / wall['rosinality']:.2f} |")
  for name, _ in GROUPS:
    cells = [groups[side].get(name, (0.0, 0)) for side in calls]
    ratio = f"{cells[0][0] / cells[1][0]:.2f}" if cells[1][0] else "-"
    print(f"| {name} | " + " | ".join(f"{1e3 * s:.1f} ({n:.0f})" for s, n in cells) + f" | {ratio} |")
  sums = [(sum(s for s, _ in groups[side].values()), sum(n for _, n in groups[side].values())) for side in calls]
  print("| all ops | " + " | ".join(f"{1e3 * s:.1f} ({n:.0f})" for s, n in sums) + f" | {sums[0][0] / sums[1][0]:.2f} |")
  for side, side_totals in totals.items():
    print(f"\n{side}, most expensive ops (ms per step, calls per step, group):")
    ranked = sorted(side_totals.items(), key=lambda item: -item[1][0])[:args.top]
    for op_type, (seconds, count) in ranked:
      print(f"  {1e3 * seconds / args.steps:8.2f}  {count / args.steps:6.0f}  {op_type}  ({group(op_type)})")


if __name__ == "__main__":
  main()
