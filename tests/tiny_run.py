"""A tiny digits model trained by train.py, for the end-to-end tests of export and evaluate.py."""

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEPS = 30
# For tests of processes (strategies, stop signals, kills, train.py's flags): one level, since the multi-scale
# layout has tests of its own and a one-level model starts about 2 s sooner (a 10-step run: 7.9 s instead of
# 10.2 s, Xeon).
SMALL_RUN_FLAGS = ("--levels=1", "--steps_per_level=2", "--hidden_channels=16", "--batch_size=32",
                   "--init_batch_size=64")
TINY_FLAGS = (f"--steps={STEPS}", "--levels=2", "--steps_per_level=2", "--hidden_channels=16", "--batch_size=32",
              "--init_batch_size=64", "--eval_every=0", "--sample_every=0", "--checkpoint_every=30")


def run_script(script, *flags, timeout=300, env=None):
  """Runs one of the repository's scripts as a user would; returns the CompletedProcess."""
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", **(env or {}))
  return subprocess.run([sys.executable, os.path.join(REPO, script), *flags], capture_output=True, text=True,
                        timeout=timeout, cwd=REPO, env=env)


def run_with_cpu_devices(code, directory, count=2, timeout=300):
  """Runs the Python `code` in a fresh process whose one CPU is split into `count` logical devices, as a machine
  with `count` GPUs has for MirroredStrategy (tests/with_cpu_devices.py), with the repository importable; the
  script is written to `directory`. Returns the CompletedProcess."""
  script = os.path.join(directory, "with_cpu_devices_script.py")
  with open(script, "w") as f:
    f.write(f"import sys\nsys.path.insert(0, {REPO!r})\n{code}")
  return subprocess.run([sys.executable, os.path.join(REPO, "tests", "with_cpu_devices.py"), str(count), script],
                        capture_output=True, text=True, timeout=timeout, cwd=REPO,
                        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))


def train_tiny_model(model_dir, *flags):
  """Trains the tiny model (which train.py also exports, as `<model_dir>/export/<STEPS>`); returns model_dir."""
  result = run_script("train.py", f"--model_dir={model_dir}", *TINY_FLAGS, *flags)
  assert result.returncode == 0, result.stderr[-3000:]
  return model_dir
