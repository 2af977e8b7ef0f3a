"""A user's own `tf.function(jit_compile=True)` over a default Glow compiles once per input signature."""

import json
import os
import subprocess
import sys

import pytest

from tests.tiny_run import REPO


@pytest.mark.slow
def test_every_function_of_a_default_glow_compiles_once_under_jit_compile(tmp_path):
  dump = str(tmp_path / "xla_dump")
  # LLVM's optimisations cost a fifth of the compile time and change nothing that is counted.
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", XLA_FLAGS=f"--xla_dump_to={dump} --xla_backend_optimization_level=0")
  os.makedirs(dump)
  done = subprocess.run([sys.executable, os.path.join(REPO, "tests", "xla_compilations.py"), dump],
                        capture_output=True, text=True, cwd=REPO, env=env, timeout=900)
  assert done.returncode == 0, done.stderr[-3000:]
  counts = json.loads(done.stdout.strip().splitlines()[-1])
  assert set(counts) == {"step", "step with labels", "step, invertible backprop", "sample", "encode and decode",
                         "mirrored step"}
  previous = 0
  for name, (first_compilations, third_compilations, first_traces, third_traces) in counts.items():
    # The first call compiles, the second and third compile and trace nothing more.
    assert first_compilations > previous, name
    assert third_compilations == first_compilations and third_traces == first_traces, (name, counts[name])
    previous = third_compilations
