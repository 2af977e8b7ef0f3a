"""Where a step's time goes, op by op: op times from TensorFlow's profiler and torch.profiler, grouped by what the
ops do so that the two frameworks' vocabularies line up (a TensorFlow `_FusedConv2D` and a torch
`aten::mkldnn_convolution` are both "convolution"). `vs_pytorch.py --op_profile` prints them.

Op times are each op's own time (time inside ops it calls, such as a function call's body, is not counted twice),
summed over threads: two ops running at once on two threads both count, so a side's op total can exceed its wall
time. What the ops do not cover is time the framework spends between them: Python, tracing or dispatch, waiting.
"""

import collections
import glob
import os
import re
import tempfile

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


def table(totals, wall_ms, steps, top):
  """The lines of a side-by-side table of two sides' op groups, then each side's `top` most expensive ops.

  `totals`: {side: tensorflow_ops(...) or torch_ops(...)} over `steps` calls; `wall_ms`: {side: ms per step,
  timed without a profiler}.
  """
  (left, right), groups = list(totals), {side: grouped(t, steps) for side, t in totals.items()}
  lines = [f"| ms per step (ops per step) | {left} | {right} | {left} / {right} |", "| --- | --- | --- | --- |",
           f"| wall time, unprofiled | {wall_ms[left]:.1f} | {wall_ms[right]:.1f} | "
           f"{wall_ms[left] / wall_ms[right]:.2f} |"]
  for name, _ in GROUPS:
    cells = [groups[side].get(name, (0.0, 0)) for side in totals]
    ratio = f"{cells[0][0] / cells[1][0]:.2f}" if cells[1][0] else "-"
    lines.append(f"| {name} | " + " | ".join(f"{1e3 * s:.1f} ({n:.0f})" for s, n in cells) + f" | {ratio} |")
  sums = [(sum(s for s, _ in groups[side].values()), sum(n for _, n in groups[side].values())) for side in totals]
  lines.append("| all ops | " + " | ".join(f"{1e3 * s:.1f} ({n:.0f})" for s, n in sums)
               + f" | {sums[0][0] / sums[1][0]:.2f} |")
  for side, side_totals in totals.items():
    lines.append(f"\n{side}, most expensive ops (ms per step, calls per step, group):")
    ranked = sorted(side_totals.items(), key=lambda item: -item[1][0])[:top]
    lines += [f"  {1e3 * seconds / steps:8.2f}  {count / steps:6.0f}  {op_type}  ({group(op_type)})"
              for op_type, (seconds, count) in ranked]
  return lines
