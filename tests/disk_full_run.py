"""Run by tests/test_disk_full.py inside its own mount namespace (`unshare --mount`): train.py on a small
filesystem that fills up mid-run, then again once space is freed. Prints one JSON line of what happened.

    unshare --mount python tests/disk_full_run.py MOUNT_POINT -- TRAIN_PY_FLAGS...

The first run is given a million steps, the second five beyond the checkpoint it resumes from.

The filesystem is a tmpfs mounted at MOUNT_POINT for this namespace alone, gone when the script ends; the run's
directory is on it. The disk is filled (a file of zeros written until ENOSPC) once the run's first checkpoint
is listed, so that the next save, sample grid or export finds no space, as on a shared disk that filled up.
"""

import json
import os
import subprocess
import sys
import time

import tensorflow as tf

from glow_tf import checkpoint_files

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fill(path):
  with open(path, "wb") as filler:
    try:
      while True:
        filler.write(bytes(65536))
        filler.flush()
    except OSError:
      pass


def train(model_dir, flags):
  return subprocess.Popen([sys.executable, os.path.join(REPO, "train.py"), f"--model_dir={model_dir}", *flags],
                          cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))


def main(mount_point, flags):
  subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", mount_point], check=True)
  model_dir = os.path.join(mount_point, "run")
  checkpoints = os.path.join(model_dir, "checkpoints")
  process = train(model_dir, ["--steps=1000000", *flags])
  while tf.train.latest_checkpoint(checkpoints) is None and process.poll() is None:
    time.sleep(0.05)
  filler = os.path.join(mount_point, "filler")
  fill(filler)
  # Any save still under way when the disk filled has now finished or failed: this is the last complete one.
  before = tf.train.latest_checkpoint(checkpoints)
  stdout, stderr = process.communicate()
  full = {"returncode": process.returncode, "stdout": stdout, "stderr": stderr, "latest_before": before,
          "latest_after": tf.train.latest_checkpoint(checkpoints),
          "latest_damage": checkpoint_files.damage(tf.train.latest_checkpoint(checkpoints)),
          "files": sorted(os.listdir(checkpoints))}
  os.remove(filler)
  resumed = train(model_dir, [f"--steps={checkpoint_files.step_of(before) + 5}", *flags])
  stdout, stderr = resumed.communicate()
  print(json.dumps({"full": full, "resumed": {"returncode": resumed.returncode, "stdout": stdout, "stderr": stderr}}))


if __name__ == "__main__":
  main(sys.argv[1], sys.argv[sys.argv.index("--") + 1:])
