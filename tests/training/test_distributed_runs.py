"""train.py under every tf.distribute strategy it offers, as users run it.

A machine with N GPUs is stood in for by one CPU split into N logical devices (MirroredStrategy), and a cluster
by worker processes on 127.0.0.1 (MultiWorkerMirroredStrategy). Past strategy creation, the code they run is
the code a GPU machine or a cluster runs.
"""

import glob
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from glow_tf.run_layout import read_best
from glow_tf.training import make_strategy, worker_role
from glow_tf.training.strategy import local_cluster
from tests.runs import checkpoint_step, latest_weights
from tests.tiny_run import REPO, SMALL_RUN_FLAGS, run_script

QUIET = dict(TF_CPP_MIN_LOG_LEVEL="2")
# Every wait below ends: a worker that neither finishes nor fails within this is a hang, and fails the test.
PROCESS_TIMEOUT = 600


def train_py(*flags, devices=1):
  """The command line of train.py, in a process with `devices` logical CPU devices."""
  script = os.path.join(REPO, "train.py")
  if devices == 1:
    return [sys.executable, script, *flags]
  return [sys.executable, os.path.join(REPO, "tests", "with_cpu_devices.py"), str(devices), script, *flags]


def run(command, env=None):
  result = subprocess.run(command, capture_output=True, text=True, timeout=PROCESS_TIMEOUT, cwd=REPO,
                          env=dict(os.environ, **QUIET, **(env or {})))
  return result


def succeeded(result):
  assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
  return result.stdout


def logged_losses(model_dir):
  """train/bits_per_dim per step, from the run's TensorBoard events."""
  losses = {}
  for path in glob.glob(os.path.join(model_dir, "logs", "events.out.tfevents.*")):
    for event in tf.compat.v1.train.summary_iterator(path):
      for value in event.summary.value:
        if value.tag == "train/bits_per_dim":
          losses[event.step] = float(tf.make_ndarray(value.tensor))
  return [losses[step] for step in sorted(losses)]


def wait_for_checkpoint(model_dir, processes, after=None):
  """Waits until the run has a checkpoint (one later than step `after`, if given); fails if the processes end
  first or it takes far too long."""
  deadline = time.monotonic() + PROCESS_TIMEOUT
  while checkpoint_step(model_dir) is None or (after is not None and checkpoint_step(model_dir) <= after):
    assert all(p.poll() is None for p in processes), "a worker ended before the checkpoint awaited"
    assert time.monotonic() < deadline, "no checkpoint appeared"
    time.sleep(0.2)
  return checkpoint_step(model_dir)


def artefacts(model_dir):
  """The files of a run, relative to it, apart from checkpoints and exports."""
  return sorted(os.path.relpath(path, model_dir) for path in glob.glob(os.path.join(model_dir, "**"), recursive=True)
                if os.path.isfile(path))


@pytest.mark.slow
def test_mirrored_train_py_matches_one_device_and_resumes_samples_exports(tmp_path):
  flags = ["--steps=10", "--log_every=1", "--checkpoint_every=5", "--eval_every=5", "--sample_every=10",
           "--num_samples=16", "--temperatures=0,0.7", *SMALL_RUN_FLAGS]
  single, mirrored = str(tmp_path / "single"), str(tmp_path / "mirrored")
  succeeded(run(train_py(f"--model_dir={single}", "--strategy=default", "--noexport", *flags)))
  stdout = succeeded(run(train_py(f"--model_dir={mirrored}", "--strategy=mirrored", *flags, devices=2)))
  assert "MirroredStrategy, 2 replicas" in stdout
  assert "All 2 replicas hold the same weights" in stdout

  # The same global batches, split over two replicas: the same losses.
  single_losses, mirrored_losses = logged_losses(single), logged_losses(mirrored)
  assert len(single_losses) == len(mirrored_losses) == 10
  np.testing.assert_allclose(mirrored_losses, single_losses, rtol=1e-4)
  assert sorted(os.listdir(os.path.join(mirrored, "samples"))) == ["step0000010_T0.7.png", "step0000010_T0.png"]
  assert "step 5: test bits/dim" in stdout
  assert os.path.exists(os.path.join(mirrored, "export", str(read_best(mirrored).step), "saved_model.pb"))
  step, weights = latest_weights(mirrored)
  assert step == 10 and all(np.all(np.isfinite(w)) for w in weights)

  # Resumed with the replicas' gradients compiled by XLA, as --xla does on GPUs.
  stdout = succeeded(run(train_py(f"--model_dir={mirrored}", "--strategy=mirrored", *flags[1:], "--steps=12",
                                  "--xla", devices=2)))
  assert f"Resuming from {mirrored}/checkpoints/ckpt-10 at step 10" in stdout
  assert checkpoint_step(mirrored) == 12
  assert os.path.exists(os.path.join(mirrored, "export", str(read_best(mirrored).step)))
  bpd = succeeded(run_script("evaluate.py", "bpd", f"--model_dir={mirrored}", "--eval_batches=2"))
  assert "bits/dim" in bpd


@pytest.mark.slow
def test_a_batch_that_does_not_split_over_the_replicas_is_refused_up_front(tmp_path):
  result = run(train_py(f"--model_dir={tmp_path / 'run'}", "--strategy=mirrored", "--batch_size=33", devices=2))
  assert result.returncode == 2
  assert ("train.py: error: batch_size 33 (the global batch) does not split over the 2 replicas (devices); use a "
          "multiple of 2, e.g. 34.") in result.stderr
  assert not os.path.exists(tmp_path / "run")


class Workers:
  """train.py in `count` MultiWorkerMirroredStrategy worker processes on 127.0.0.1, one model_dir."""

  def __init__(self, tmp_path, model_dir, flags, count=2):
    self.tmp_path, self.model_dir, self.flags, self.count = tmp_path, model_dir, flags, count
    self.launches = 0

  def start(self, *extra, strategy="multi_worker"):
    self.launches += 1
    self.processes, self.logs = [], []
    for index, tf_config in enumerate(local_cluster(self.count)):
      stdout = self.tmp_path / f"launch{self.launches}_worker{index}.out"
      stderr = self.tmp_path / f"launch{self.launches}_worker{index}.err"
      self.logs.append((stdout, stderr))
      with open(stdout, "w") as out, open(stderr, "w") as err:
        self.processes.append(subprocess.Popen(
            train_py(f"--model_dir={self.model_dir}", f"--strategy={strategy}", *self.flags, *extra),
            cwd=REPO, stdout=out, stderr=err, env=dict(os.environ, **QUIET, TF_CONFIG=tf_config)))
    return self

  def wait(self):
    """Each worker's (exit code, stdout, stderr), once all have ended."""
    try:
      codes = [process.wait(timeout=PROCESS_TIMEOUT) for process in self.processes]
    finally:
      self.kill()
    return [(code, out.read_text(), err.read_text()) for code, (out, err) in zip(codes, self.logs)]

  def kill(self):
    for process in self.processes:
      if process.poll() is None:
        process.kill()
        process.wait()


def all_succeeded(outcomes):
  for index, (code, stdout, stderr) in enumerate(outcomes):
    assert code == 0, f"worker {index}: {stdout[-2000:]}{stderr[-3000:]}"
  return [stdout for _, stdout, _ in outcomes]


@pytest.mark.slow
def test_two_workers_train_one_run_resume_it_and_stop_together(tmp_path):
  model_dir = str(tmp_path / "run")
  flags = ["--steps=10", "--log_every=1", "--checkpoint_every=5", "--eval_every=5", "--sample_every=10",
           "--num_samples=16", "--temperatures=0.7", *SMALL_RUN_FLAGS]
  workers = Workers(tmp_path, model_dir, flags)
  chief, other = all_succeeded(workers.start().wait())
  assert "MultiWorkerMirroredStrategy, 2 workers, 2 replicas" in chief
  # Both workers compare their weights at the end: one line each, the same numbers.
  agreement = [line.split("] ", 1)[1] for out in (chief, other) for line in out.splitlines() if "replicas hold" in line]
  assert len(agreement) == 2 and agreement[0] == agreement[1], agreement
  step, weights = latest_weights(model_dir)
  assert step == 10
  # The chief's checkpoint holds those weights (the sums agree to float64 rounding; their order differs).
  assert agreement[0].startswith("All 2 replicas hold the same weights (sum of squares ")
  reported = float(agreement[0].rsplit(" ", 1)[1].rstrip(")."))
  assert reported == pytest.approx(sum(np.sum(np.square(w.astype(np.float64))) for w in weights), rel=1e-12)
  # Every worker evaluated (to agree on the best model) but only the chief reported it, wrote samples and
  # exported; one run's artefacts and no worker temporaries.
  assert "test bits/dim" in chief and "test bits/dim" not in other
  assert "SavedModel of the best checkpoint:" in chief and "SavedModel" not in other
  best = read_best(model_dir)
  assert best.step in (5, 10) and f"Best: {best.path} (step {best.step}" in chief
  files = artefacts(model_dir)
  assert len([f for f in files if f.startswith("logs/")]) == 1, files
  assert [f for f in files if f.startswith("samples/")] == ["samples/step0000010_T0.7.png"]
  assert {f for f in files if f.startswith("checkpoints/")} == {
      "checkpoints/checkpoint", *(f"checkpoints/ckpt-{s}.{part}" for s in (5, 10)
                                  for part in ("index", "data-00000-of-00001"))}
  assert {f for f in files if f.startswith("best/")} == {
      "best/checkpoint", *(f"best/ckpt-{best.step}.{part}" for part in ("index", "data-00000-of-00001"))}
  assert [f for f in files if f.startswith("export/")] and not [f for f in files if "workertemp" in f]
  assert len(logged_losses(model_dir)) == 10

  # The default strategy, auto, takes the cluster in TF_CONFIG too; SIGTERM to one worker of the resumed run
  # stops every worker at one checkpoint, and a stopped run exports nothing.
  exported = sorted(os.listdir(os.path.join(model_dir, "export")))
  workers.start("--steps=100000", strategy="auto")
  wait_for_checkpoint(model_dir, workers.processes, after=10)
  workers.processes[1].send_signal(signal.SIGTERM)
  outcomes = workers.wait()
  assert [code for code, _, _ in outcomes] == [75, 75], outcomes
  (_, chief, _), (_, other, _) = outcomes
  assert "MultiWorkerMirroredStrategy, 2 workers, 2 replicas" in chief
  assert f"[worker 0] Resuming from {model_dir}/checkpoints/ckpt-10 at step 10" in chief
  assert f"[worker 1] Resuming from {model_dir}/checkpoints/ckpt-10 at step 10" in other
  step = checkpoint_step(model_dir)
  assert step > 10
  assert f"[worker 1] Stopped by SIGTERM at step {step}; saved {model_dir}/checkpoints/ckpt-{step}" in other
  assert f"[worker 0] Stopped by another worker's stop signal at step {step}" in chief
  assert sorted(os.listdir(os.path.join(model_dir, "export"))) == exported
  assert "bits/dim" in succeeded(run_script("evaluate.py", "bpd", f"--model_dir={model_dir}", "--eval_batches=2"))


@pytest.mark.slow
def test_every_worker_resumes_from_the_checkpoint_before_a_damaged_one(tmp_path):
  model_dir = str(tmp_path / "run")
  flags = ["--checkpoint_every=5", "--eval_every=0", "--sample_every=0", "--noexport", *SMALL_RUN_FLAGS]
  workers = Workers(tmp_path, model_dir, flags)
  all_succeeded(workers.start("--steps=10").wait())
  with open(f"{model_dir}/checkpoints/ckpt-10.data-00000-of-00001", "r+b") as data:
    data.truncate(16)
  chief, other = all_succeeded(workers.start("--steps=12").wait())
  # The chief reads the checkpoints and sets the damaged one aside; the other worker takes the chief's step.
  assert f"[worker 0] Checkpoint {model_dir}/checkpoints/ckpt-10 cannot be read (" in chief
  assert "cannot be read" not in other
  for index, out in enumerate((chief, other)):
    assert f"[worker {index}] Resuming from {model_dir}/checkpoints/ckpt-5 at step 5." in out
  assert checkpoint_step(model_dir) == 12
  assert glob.glob(f"{model_dir}/checkpoints/damaged/ckpt-10.*")


@pytest.mark.slow
def test_a_killed_worker_or_chief_stops_the_others_and_a_restart_resumes(tmp_path):
  model_dir = str(tmp_path / "run")
  workers = Workers(tmp_path, model_dir, ["--steps=100000", "--checkpoint_every=5", "--eval_every=0",
                                          "--sample_every=0", "--noexport", *SMALL_RUN_FLAGS])
  workers.start()
  saved = None
  # A worker, then (in the restart that resumed after it) the chief: one launch fewer than a run per victim.
  for victim in (1, 0):
    killed_after = wait_for_checkpoint(model_dir, workers.processes, after=saved)
    workers.processes[victim].send_signal(signal.SIGKILL)
    outcomes = workers.wait()
    code, stdout, stderr = outcomes[1 - victim]
    if saved is not None:  # The survivor's output (the killed process's unflushed output is lost with it).
      assert f"[worker {1 - victim}] Resuming from {model_dir}/checkpoints/ckpt-{saved} at step {saved}" in stdout
    assert code == 1
    assert f"train.py: Lost contact with /job:worker/replica:0/task:{victim}" in stderr
    assert "restart every worker with the same command and TF_CONFIG to resume" in stderr
    saved = checkpoint_step(model_dir)
    assert saved >= killed_after
    workers.start(*(["--steps=100000"] if victim else [f"--steps={saved + 3}"]))

  chief, other = all_succeeded(workers.wait())
  for index, stdout in enumerate((chief, other)):
    assert f"[worker {index}] Resuming from {model_dir}/checkpoints/ckpt-{saved} at step {saved}" in stdout
  assert checkpoint_step(model_dir) == saved + 3
  assert not [f for f in artefacts(model_dir) if "workertemp" in f]


@pytest.mark.slow
def test_a_stop_signal_saves_the_step_reached_and_the_rerun_resumes_there(tmp_path):
  model_dir = str(tmp_path / "run")
  flags = [f"--model_dir={model_dir}", "--checkpoint_every=7", "--eval_every=0", "--sample_every=0", "--noexport",
           *SMALL_RUN_FLAGS]
  step = None
  # SIGTERM, then SIGINT to the rerun that resumed after it, then a rerun that finishes.
  for stop in (signal.SIGTERM, signal.SIGINT):
    process = subprocess.Popen(train_py("--steps=100000", *flags), cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=dict(os.environ, **QUIET))
    try:
      first = wait_for_checkpoint(model_dir, [process], after=step)
      process.send_signal(stop)
      stdout, stderr = process.communicate(timeout=PROCESS_TIMEOUT)
    finally:
      process.kill()
    assert process.returncode == 75, stderr[-3000:]
    if step is not None:
      assert f"at step {step}." in stdout
    step = checkpoint_step(model_dir)
    assert step >= first
    assert f"Stopped by {stop.name} at step {step}; saved {model_dir}/checkpoints/ckpt-{step}. Run the same " in stdout
    assert "Traceback" not in stderr
    saved_step, _ = latest_weights(model_dir)
    assert saved_step == step

  result = succeeded(run(train_py(f"--steps={step + 2}", *flags)))
  assert f"at step {step}." in result
  assert checkpoint_step(model_dir) == step + 2


@pytest.mark.parametrize("name, tf_config, message", [
    ("multi_worker", None, "needs the cluster in the TF_CONFIG environment variable"),
    ("multi_worker", "{not json", "TF_CONFIG is not the JSON TensorFlow expects"),
    ("tpu", None, "No TPU could be found for --strategy=tpu"),
])
def test_strategies_that_cannot_run_here_say_why(monkeypatch, name, tf_config, message):
  if tf_config is None:
    monkeypatch.delenv("TF_CONFIG", raising=False)
  else:
    monkeypatch.setenv("TF_CONFIG", tf_config)
  with pytest.raises(ValueError, match=message):
    make_strategy(name)


ONE_TASK = '{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}'


@pytest.mark.parametrize("tf_config", [None, ONE_TASK], ids=["no TF_CONFIG", "a one-task cluster"])
def test_auto_and_default_run_on_one_device_here(monkeypatch, tf_config):
  if tf_config is None:
    monkeypatch.delenv("TF_CONFIG", raising=False)
  else:
    monkeypatch.setenv("TF_CONFIG", tf_config)
  for name in ("auto", "default", "mirrored"):
    strategy = make_strategy(name)
    assert strategy.num_replicas_in_sync == 1 and worker_role(strategy).is_chief
