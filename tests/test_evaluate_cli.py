"""evaluate.py as a user runs it: every mode as a subprocess on a tiny model trained by train.py."""

import os
import re

import numpy as np
import pytest
import tensorflow as tf

from tests.tiny_run import STEPS, run_script, train_tiny_model

SCALE = 8  # 8x8 digits are drawn 8 times larger in PNG grids.

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
  return train_tiny_model(str(tmp_path_factory.mktemp("run") / "digits"))


def evaluate(*flags):
  return run_script("evaluate.py", *flags, timeout=300)


def succeeded(result):
  assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
  return result.stdout


def read_png(path, rows, columns):
  """The grid at `path`, checked to hold rows x columns 8x8 grey images and not to be one flat colour."""
  grid = tf.io.decode_png(tf.io.read_file(path)).numpy()
  assert grid.shape == (SCALE * (rows * 9 + 1), SCALE * (columns * 9 + 1), 1)
  assert grid.std() > 0
  return grid


def cell_row(grid, row):
  """The pixels of one row of 8x8 images in a grid, without the padding around them."""
  return grid[SCALE * (row * 9 + 1):SCALE * (row * 9 + 9)]


def mean_bits_per_dim(stdout):
  return float(re.search(r"test bits/dim: ([0-9.]+) ± ([0-9.]+)", stdout).group(1))


@pytest.fixture(scope="module")
def report(model_dir):
  """The stdout of one evaluate.py process that runs every mode which reads the model, as a user asks for a
  whole report; its PNGs go to <model_dir>/eval."""
  return succeeded(evaluate("bpd", "samples", "reconstruct", "interpolate", "manipulate", f"--model_dir={model_dir}",
                            "--num_dequantizations=2", "--temperatures=0,0.7", "--num_samples=16", "--num_images=4",
                            "--num_pairs=3", "--num_steps=6", "--attribute=3", "--alphas=-1,0,1",
                            "--num_direction_images=300"))


def eval_png(model_dir, name):
  return os.path.join(model_dir, "eval", name)


def test_several_modes_run_in_the_order_given(report):
  # One line of each mode's, in the order of the arguments.
  lines = ["test bits/dim:", "samples_T0.png", "Round trip of 4 test images", "interpolate.png", "moved along '3'"]
  positions = [report.find(line) for line in lines]
  assert -1 not in positions and positions == sorted(positions), report[-3000:]


def test_bpd_reports_a_mean_and_standard_error_over_dequantisations(report):
  assert 0 < mean_bits_per_dim(report) < 10
  assert "297 images, 2 dequantisation(s) each" in report and "importance-weighted bound" in report


def test_samples_writes_one_grid_per_temperature(model_dir, report):
  for temperature in ("0", "0.7"):
    path = eval_png(model_dir, f"samples_T{temperature}.png")
    assert path in report
    read_png(path, rows=4, columns=4)


def test_reconstruct_round_trips_test_images(model_dir, report):
  error = float(re.search(r"max error (\S+) in model space, (\d+) in uint8 pixels", report).group(1))
  assert error < 1e-3 and "0 in uint8 pixels" in report
  grid = read_png(eval_png(model_dir, "reconstruct.png"), rows=2, columns=4)
  np.testing.assert_array_equal(cell_row(grid, 0), cell_row(grid, 1))  # Reconstructions equal the originals above.


def test_interpolate_writes_one_row_per_pair(model_dir, report):
  assert "3 pairs of test images, 6 steps each" in report
  read_png(eval_png(model_dir, "interpolate.png"), rows=3, columns=6)


def test_manipulate_moves_digits_along_a_class_direction(model_dir, report):
  assert "moved along '3' by -1, 0, 1 x 1.6" in report
  grid = read_png(eval_png(model_dir, "manipulate_3.png"), rows=4, columns=3)
  assert not np.array_equal(cell_row(grid.transpose(1, 0, 2), 0), cell_row(grid.transpose(1, 0, 2), 2))


def test_export_writes_a_new_version_and_never_overwrites_one(model_dir, tmp_path):
  export_dir = str(tmp_path / "saved_models" / "digits")
  # With a mode that restores the model for itself, after the export's own restore.
  stdout = succeeded(evaluate("export", "samples", f"--model_dir={model_dir}", f"--export_dir={export_dir}",
                              "--export_version=1", f"--output_dir={tmp_path}", "--temperatures=0.5", "--num_samples=4"))
  assert f"SavedModel: {os.path.join(export_dir, '1')}" in stdout
  read_png(str(tmp_path / "samples_T0.5.png"), rows=2, columns=2)
  assert {"saved_model.pb", "config.json"} <= set(os.listdir(os.path.join(export_dir, "1")))
  again = evaluate("export", f"--model_dir={model_dir}", f"--export_dir={export_dir}", "--export_version=1")
  assert again.returncode == 1 and "already exists" in again.stderr


def test_a_saved_model_evaluates_as_its_run_does(model_dir, report, tmp_path):
  saved_model = os.path.join(model_dir, "export", str(STEPS))
  from_saved_model = evaluate("--mode=bpd", f"--model_dir={saved_model}", "--dataset=digits", "--num_dequantizations=2",
                              f"--output_dir={tmp_path}")
  assert mean_bits_per_dim(succeeded(from_saved_model)) == mean_bits_per_dim(report)


def test_a_bad_flag_gets_one_clear_error_without_a_traceback(model_dir):
  # Each flag's checks are tried in-process in tests/test_bad_input.py; this is how a user sees one.
  result = evaluate("manipulate", f"--model_dir={model_dir}", "--attribute=Smiling")
  assert result.returncode == 1
  # absl prints the usage (the docstring and the flags), then the error as the last line.
  assert result.stderr.rstrip().splitlines()[-1] == (
      "Unknown class 'Smiling' for digits; choose one of 0, 1, 2, 3, 4, 5, 6, 7, 8, 9."), result.stderr[-2000:]
  assert "Traceback" not in result.stderr
