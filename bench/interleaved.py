"""Throughput of several traced calls timed round-robin in one process, as the benchmarks measure it.

On a shared machine the load drifts; timing every call once per round, the order reversed every other round,
lets that drift fall on all of them alike, so their ratios stay meaningful even when their absolute speeds
do not.
"""

import time


def calls_per_repeat(call, seconds):
  """How many calls of an already traced `call` take about `seconds`, judged from one call."""
  start = time.perf_counter()
  call().numpy()
  return max(1, round(seconds / (time.perf_counter() - start)))


def images_per_second(calls, batch, repeats, seconds, between_rounds=None):
  """{key: [images/s in each round]} for a dict of traced calls that each process `batch` images.

  Args:
    calls: {key: call}; a call returns a tensor, read back to wait for its result.
    batch: images per call.
    repeats: rounds; each round times every call for about `seconds`.
    seconds: duration of one timing.
    between_rounds: optional callable run after each round (e.g. a matmul peak measurement).
  """
  counts = {key: calls_per_repeat(call, seconds) for key, call in calls.items()}
  timings = {key: [] for key in calls}
  for repeat in range(repeats):
    for key in (list(calls) if repeat % 2 == 0 else list(calls)[::-1]):
      start = time.perf_counter()
      for _ in range(counts[key]):
        out = calls[key]()
      out.numpy()
      timings[key].append(batch * counts[key] / (time.perf_counter() - start))
    if between_rounds:
      between_rounds()
  return timings
