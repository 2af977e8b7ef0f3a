"""Which worker a process is, read from the strategy's cluster as TensorFlow reads it."""

import json

import pytest
import tensorflow as tf

from glow_tf.training import worker_role
from glow_tf.training.strategy import WorkerRole


class FakeMultiWorker(tf.distribute.MultiWorkerMirroredStrategy):
  """A strategy object that answers `cluster_resolver` as a worker of TF_CONFIG's cluster, without starting one."""

  def __init__(self):  # pylint: disable=super-init-not-called
    self._resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()

  @property
  def cluster_resolver(self):
    return self._resolver


@pytest.mark.parametrize("cluster, task, expected", [
    ({"worker": ["a:1", "b:1", "c:1"]}, ("worker", 0), WorkerRole(0, 3)),
    ({"worker": ["a:1", "b:1", "c:1"]}, ("worker", 2), WorkerRole(2, 3)),
    ({"chief": ["a:1"], "worker": ["b:1", "c:1"]}, ("chief", 0), WorkerRole(0, 3)),
    ({"chief": ["a:1"], "worker": ["b:1", "c:1"]}, ("worker", 0), WorkerRole(1, 3)),
])
def test_the_chief_is_the_chief_task_or_worker_0(monkeypatch, cluster, task, expected):
  monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": cluster, "task": {"type": task[0], "index": task[1]}}))
  role = worker_role(FakeMultiWorker())
  assert role == expected and role.is_chief == (expected.index == 0)


def test_one_process_strategies_have_one_worker():
  assert worker_role(tf.distribute.get_strategy()) == WorkerRole(0, 1)
  assert worker_role(tf.distribute.MirroredStrategy(["/cpu:0"])).is_chief
