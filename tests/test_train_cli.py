"""train.py as a user runs it: a subprocess on the embedded digits."""

import glob
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import GlowConfig, startup
from tests.runs import checkpoint_step, restored_trainer
from tests.tiny_run import REPO, SMALL_RUN_FLAGS, run_script


def run_train(*flags, timeout=600):
  return run_script("train.py", *flags, timeout=timeout)


@pytest.mark.slow
def test_train_py_trains_digits_end_to_end(tmp_path):
  model_dir = str(tmp_path / "run")
  result = run_train(f"--model_dir={model_dir}", "--steps=20", "--checkpoint_every=10", "--eval_every=10",
                     "--patience=4", "--sample_every=20", "--num_samples=16", "--temperatures=0,0.7",
                     "--coupling_scale_floor=0.2", "--intra_op_threads=1", "--inter_op_threads=2",
                     "--weight_decay=0.1", *SMALL_RUN_FLAGS)
  assert result.returncode == 0, result.stderr[-3000:]
  # digits' preset chooses the graph (glow_tf.data.digits), as a flag would.
  assert "XLA: off; thread pools: 1 intra-op, 2 inter-op" in result.stdout, result.stdout[-2000:]
  saved = open(os.path.join(model_dir, "train_config.json")).read()
  assert '"patience": 4' in saved and '"weight_decay": 0.1' in saved
  assert GlowConfig.load(os.path.join(model_dir, "config.json")).coupling_scale_floor == 0.2
  assert checkpoint_step(model_dir) == 20
  assert os.path.exists(os.path.join(model_dir, "config.json"))
  assert glob.glob(os.path.join(model_dir, "logs", "events.out.tfevents.*"))
  grids = sorted(glob.glob(os.path.join(model_dir, "samples", "step0000020_T*.png")))
  assert [os.path.basename(g) for g in grids] == ["step0000020_T0.7.png", "step0000020_T0.png"]
  grid = tf.io.decode_png(tf.io.read_file(grids[0])).numpy()
  assert grid.shape[-1] == 1 and grid.std() > 0
  assert "test bits/dim" in result.stderr + result.stdout
  assert f"Checkpoint: {model_dir}" in result.stdout and "tensorboard --logdir" in result.stdout

  # The best of the two evaluations is kept, exported, and scores the same when evaluate.py restores it.
  logged = dict(re.findall(r"step (\d+): test bits/dim ([\d.]+)", result.stdout))
  best_step = min(logged, key=lambda step: float(logged[step]))
  assert f"Best: {model_dir}/best/ckpt-{best_step} (step {best_step}, test bits/dim {logged[best_step]})" in result.stdout
  assert f"SavedModel of the best checkpoint: {model_dir}/export/{best_step}" in result.stdout
  rescored = subprocess.run([sys.executable, os.path.join(REPO, "evaluate.py"), "bpd", "export",
                             f"--model_dir={model_dir}", "--checkpoint=best", "--noxla",
                             f"--export_dir={tmp_path / 'best'}"], capture_output=True, text=True, cwd=REPO)
  assert f"test bits/dim: {logged[best_step]} ± " in rescored.stdout, rescored.stderr[-2000:]
  assert "with XLA" not in rescored.stdout
  assert f"SavedModel: {tmp_path / 'best' / best_step}" in rescored.stdout, rescored.stderr[-2000:]
  with_xla = subprocess.run([sys.executable, os.path.join(REPO, "evaluate.py"), "bpd", f"--model_dir={model_dir}",
                             "--xla", "--eval_batches=2", "--intra_op_threads=1", "--inter_op_threads=1"],
                            capture_output=True, text=True, cwd=REPO)
  assert "images, 1 dequantisation(s) each, with XLA)" in with_xla.stdout, with_xla.stderr[-2000:]


@pytest.mark.slow
def test_a_run_killed_after_its_first_checkpoint_resumes_where_it_stopped(tmp_path):
  model_dir = str(tmp_path / "run")
  flags = [f"--model_dir={model_dir}", "--checkpoint_every=5", "--eval_every=0", "--sample_every=0", "--noexport",
           *SMALL_RUN_FLAGS]
  process = subprocess.Popen([sys.executable, os.path.join(REPO, "train.py"), "--steps=100000", *flags],
                             cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  try:
    deadline = time.time() + 300
    while checkpoint_step(model_dir) is None and time.time() < deadline and process.poll() is None:
      time.sleep(0.5)
    killed_at = checkpoint_step(model_dir)
    assert killed_at is not None, "no checkpoint appeared"
  finally:
    process.send_signal(signal.SIGKILL)
    process.wait()
  saved = checkpoint_step(model_dir)
  before = restored_trainer(model_dir)
  assert int(before.step) == int(before.optimizer.iterations) == saved
  moment = before.optimizer.variables[1].numpy()
  assert np.abs(moment).max() > 0

  result = run_train(f"--steps={saved + 5}", *flags)
  assert result.returncode == 0, result.stderr[-3000:]
  assert f"at step {saved}" in result.stdout
  assert checkpoint_step(model_dir) == saved + 5
  after = restored_trainer(model_dir)
  # Adam-type state continued: a fresh optimiser would count 5 iterations, not saved + 5.
  assert int(after.step) == int(after.optimizer.iterations) == saved + 5
  assert not np.array_equal(after.optimizer.variables[1].numpy(), moment)


@pytest.mark.slow
def test_a_bad_flag_exits_with_one_clear_line_before_training(tmp_path):
  # Each flag's validation is tried in-process in tests/test_bad_input.py; this is how a user sees one.
  result = run_train(f"--model_dir={tmp_path / 'run'}", "--levels=4", timeout=120)
  assert result.returncode == 2
  errors = [line for line in result.stderr.splitlines() if line.startswith("train.py: error:")]
  assert errors == ["train.py: error: Image height 8 is not divisible by 2**levels = 16; use 16, or fewer levels."]
  assert not os.path.exists(tmp_path / "run" / "checkpoints")


@pytest.mark.slow
def test_a_different_architecture_in_an_existing_model_dir_is_refused(tmp_path):
  model_dir = str(tmp_path / "run")
  first = run_train(f"--model_dir={model_dir}", "--steps=2", "--eval_every=0", "--sample_every=0", "--noexport",
                    *SMALL_RUN_FLAGS)
  assert first.returncode == 0, first.stderr[-3000:]
  result = run_train(f"--model_dir={model_dir}", "--steps=4", "--hidden_channels=32", timeout=120)
  assert result.returncode != 0
  assert "hidden_channels=32 (trained with 16)" in result.stderr


@pytest.mark.slow
def test_tensorflows_start_up_messages_are_hidden_unless_the_user_asks_for_them(tmp_path):
  flags = ["--steps=1", "--eval_every=0", "--sample_every=0", "--noexport", *SMALL_RUN_FLAGS]
  chatter = ("cuda drivers", "cuInit", "absl::InitializeLog", "cpu_feature_guard")
  command = [sys.executable, os.path.join(REPO, "train.py"), *flags]
  default = {key: value for key, value in os.environ.items()
             if key not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")}
  quiet = subprocess.run([*command, f"--model_dir={tmp_path / 'quiet'}"], capture_output=True, text=True, cwd=REPO,
                         env=default, timeout=600)
  assert quiet.returncode == 0, quiet.stderr[-3000:]
  assert not [line for line in quiet.stderr.splitlines() if any(word in line for word in chatter)], quiet.stderr
  # A user who set the level keeps it: at 0 TensorFlow's own start-up lines come through, among them whether
  # oneDNN's kernels are on, which train.py asks for on every CPU unless the user chose otherwise.
  chosen = subprocess.run([*command, f"--model_dir={tmp_path / 'chosen'}"], capture_output=True, text=True,
                          cwd=REPO, env=dict(default, TF_CPP_MIN_LOG_LEVEL="0"), timeout=600)
  assert chosen.returncode == 0, chosen.stderr[-3000:]
  assert "cpu_feature_guard" in chosen.stderr or "cuda" in chosen.stderr, chosen.stderr[-3000:]
  assert "oneDNN custom operations are on" in chosen.stderr, chosen.stderr[-3000:]


def test_a_users_own_onednn_choice_is_kept(monkeypatch):
  monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
  startup.import_tensorflow()
  assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "0"
  monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS")
  startup.import_tensorflow()
  assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "1"


def test_the_scripts_turn_grappler_off_where_there_is_no_gpu():
  tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": False})
  try:
    startup.import_tensorflow()
    no_gpu = not tf.config.list_physical_devices("GPU")
    assert tf.config.optimizer.get_experimental_options().get("disable_meta_optimizer", False) == no_gpu
  finally:
    startup.no_graph_optimiser_without_gpu()  # As conftest leaves it for the other tests.
