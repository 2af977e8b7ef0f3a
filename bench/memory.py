"""Peak memory and step time of a training step, per backprop mode and for tfp.bijectors.Glow, each in a fresh process.

    python bench/memory.py                                          # depth sweep, K = 4 8 16 32, at 32x32, W=128
    python bench/memory.py --image_size=64 --levels=4 --hidden=512 --batch=8 --coupling=additive --depths 4 32
    python bench/memory.py --depths 32 --sizes 32 64 128 256        # size sweep at K = 32 (256 px needs L >= ...)

For every configuration and implementation, a child process builds the model (glow_tf's `Trainer` with
`backprop` stored, recomputed or invertible; tfp.bijectors.Glow at the same architecture with a GradientTape
step and Adamax, as common.Tfp builds it), initialises it from one batch, and runs `--steps` training steps.
It reports the RSS before the first step, the peak RSS (`ru_maxrss`, which includes tracing and graph
optimisation), the peak RSS of the later steps (the kernel's high-water mark, reset after the first step) and
their own memory as TensorFlow's CPU allocator counts it: its high-water mark during the later steps less what it
held before them. That last figure is what the activations of a step cost, the thing backprop modes change; it is
the graph's allocations, the same on every run and machine (the children run TensorFlow's BFC allocator on the
CPU, `TF_CPU_ALLOCATOR_USE_BFC=true`, which keeps these statistics, and one inter-op thread, so that ops run in
one order; RSS could not tell the modes apart, as glibc keeps freed memory). Also the first step's time (tracing +
one step) and the median of the later steps, with that one inter-op thread (bench/speed.py times steps as users
run them). The parent prints a markdown table, the ratios to stored, and draws a step's own memory against
depth into `--plot`.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMPLEMENTATIONS = ("stored", "recomputed", "invertible", "tfp")


def parse_args():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("--implementations", nargs="+", default=list(IMPLEMENTATIONS), choices=IMPLEMENTATIONS)
  parser.add_argument("--depths", type=int, nargs="+", default=[4, 8, 16, 32], help="steps per level K")
  parser.add_argument("--sizes", type=int, nargs="+", default=None, help="image sizes (default: --image_size)")
  parser.add_argument("--image_size", type=int, default=32)
  parser.add_argument("--levels", type=int, default=3)
  parser.add_argument("--hidden", type=int, default=128)
  parser.add_argument("--batch", type=int, default=8)
  parser.add_argument("--coupling", default="affine", choices=("affine", "additive"))
  parser.add_argument("--steps", type=int, default=4, help="training steps per child, the first one traced")
  parser.add_argument("--memory_limit_gb", type=float, default=20.0,
                      help="a child whose RSS passes this stops and is recorded as out of memory, before the "
                           "machine's own limit is reached")
  parser.add_argument("--plot", default=os.path.join(REPO, "bench", "memory.png"))
  parser.add_argument("--child", help=argparse.SUPPRESS)
  return parser.parse_args()


def child(args):
  """One configuration in this process: prints a JSON line of its measurements."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top

  # One inter-op thread: ops then run in one order, so the allocator's peak is the graph's and the same on every
  # run. With TensorFlow's default pool two threads race, and which tensors overlap in time depends on timing
  # (128x128, K=16, invertible: 160 MB in one script, 185 MB in another, from one graph). Each op still uses
  # every core.
  tf.config.threading.set_inter_op_parallelism_threads(1)
  implementation, size, depth = args.child.split(",")
  threading.Thread(target=_stop_above, args=(args.memory_limit_gb * 1024,), daemon=True).start()
  size, depth = int(size), int(depth)
  x = tf.random.stateless_uniform([args.batch, size, size, 3], [1, 2], -0.5, 0.5)
  if implementation == "tfp":
    from common import Tfp  # pylint: disable=g-import-not-at-top
    step = Tfp(size, args.levels, depth, args.hidden, args.batch, args.coupling, x).train
  else:
    from glow_tf import GlowConfig  # pylint: disable=g-import-not-at-top
    from glow_tf.training import TrainConfig, Trainer  # pylint: disable=g-import-not-at-top
    config = GlowConfig(image_shape=(size, size, 3), levels=args.levels, steps_per_level=depth,
                        hidden_channels=args.hidden, coupling=args.coupling)
    trainer = Trainer(config, TrainConfig(batch_size=args.batch, warmup_steps=100, backprop=implementation))
    trainer.initialize(x)
    step = lambda batch: trainer.train_step(batch)["bits_per_dim"]
  before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
  times = []
  for index in range(args.steps):
    if index == 1:
      # From here on, the high-water marks are the training step's own, not tracing's or graph optimisation's.
      with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
      tf.config.experimental.reset_memory_stats("CPU:0")
      between = tf.config.experimental.get_memory_info("CPU:0")["current"]
    start = time.perf_counter()
    step(x).numpy()
    times.append(time.perf_counter() - start)
  print(json.dumps({"rss_before_mb": before, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "step_peak_rss_mb": _status_mb("VmHWM"),
                    "step_memory_mb": (tf.config.experimental.get_memory_info("CPU:0")["peak"] - between) / 2**20,
                    "first_step_s": times[0],
                    "step_s": statistics.median(times[1:])}))


def _stop_above(limit_mb):
  while _status_mb("VmRSS") < limit_mb:
    time.sleep(0.05)
  print(f"out of memory: RSS passed {limit_mb / 1024:.0f} GB", file=sys.stderr, flush=True)
  os._exit(3)  # pylint: disable=protected-access


def _status_mb(field):
  """A memory figure of this process from /proc/self/status (VmRSS: now; VmHWM: the high-water mark)."""
  with open("/proc/self/status") as f:
    return next(int(line.split()[1]) / 1024 for line in f if line.startswith(f"{field}:"))


def measure(args, implementation, size, depth):
  command = [sys.executable, os.path.abspath(__file__), f"--child={implementation},{size},{depth}",
             *(f"--{name}={getattr(args, name)}" for name in ("levels", "hidden", "batch", "coupling", "steps", "memory_limit_gb"))]
  # A fixed mmap threshold: glibc then maps every large tensor on its own and unmaps it when freed, where its
  # default (a threshold that rises as memory is freed) would keep the first step's activations in the heap, and
  # in the RSS between steps, so that later steps would seem to need none.
  env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072", TF_CPU_ALLOCATOR_USE_BFC="true")
  result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
  if result.returncode:
    # Out of memory shows as a killed child: record it, as the largest model a mode can train is the point.
    return {"error": result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"exit {result.returncode}"}
  return json.loads(result.stdout.strip().splitlines()[-1])


def main():
  args = parse_args()
  if args.child:
    return child(args)
  from common import line_chart, machine  # pylint: disable=g-import-not-at-top

  sizes = args.sizes or [args.image_size]
  results = {}
  for size in sizes:
    for depth in args.depths:
      for implementation in args.implementations:
        results[implementation, size, depth] = result = measure(args, implementation, size, depth)
        print(implementation, size, depth, result, file=sys.stderr, flush=True)

  print(f"{machine()}\nL={args.levels}, W={args.hidden}, {args.coupling}, batch {args.batch}; peak RSS of a process "
        f"that builds the model, initialises it and trains {args.steps} steps (the first traced).\n")
  print("| image | K | implementation | RSS before the first step (MB) | peak RSS, tracing included (MB) | "
        "peak RSS of a later step (MB) | a later step's own memory (MB) | own memory / stored | first step (s) | "
        "later step (s) | step / stored |")
  print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
  for (implementation, size, depth), result in results.items():
    stored = results.get(("stored", size, depth), {})
    if "error" in result:
      print(f"| {size}x{size} | {depth} | {implementation} | | failed: {result['error']} | | | | | | |")
      continue
    ratio = lambda key: f"{result[key] / stored[key]:.2f}x" if key in stored else ""
    print(f"| {size}x{size} | {depth} | {implementation} | {result['rss_before_mb']:.0f} | {result['peak_rss_mb']:.0f} "
          f"| {result['step_peak_rss_mb']:.0f} | {result['step_memory_mb']:.0f} | {ratio('step_memory_mb')} "
          f"| {result['first_step_s']:.1f} "
          f"| {result['step_s']:.2f} | {ratio('step_s')} |")
  if len(args.depths) > 1:
    size = sizes[0]
    curves = {implementation: [results[implementation, size, depth].get("step_memory_mb", float("nan"))
                               for depth in args.depths] for implementation in args.implementations}
    line_chart(args.depths, curves, args.plot, f"a training step's own memory (MB) {{low:.0f}} .. {{high:.0f}} "
               f"against K = {{x_low:.0f}} .. {{x_high:.0f}}, {size}x{size}")
    print(f"\n![peak RSS against depth]({os.path.basename(args.plot)})")


if __name__ == "__main__":
  main()
