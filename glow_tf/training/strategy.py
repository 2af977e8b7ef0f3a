"""Choosing a `tf.distribute` strategy by name, and what each worker of it is."""

import dataclasses
import json
import os
import socket

import tensorflow as tf

_TF_CONFIG_EXAMPLE = ('TF_CONFIG=\'{"cluster": {"worker": ["host0:12345", "host1:12345"]}, '
                      '"task": {"type": "worker", "index": 0}}\'')


def make_strategy(name):
  """The strategy `name` names; call it before any other TensorFlow op (MultiWorkerMirroredStrategy requires it).

  - `"auto"`: MultiWorkerMirroredStrategy when TF_CONFIG describes a cluster of several tasks, else
    MirroredStrategy over all local GPUs when there are any, else the default (one-device) strategy.
  - `"mirrored"`: MirroredStrategy over all local GPUs, or, on a machine without one, over all logical CPU
    devices (one, unless the process configured more).
  - `"multi_worker"`: MultiWorkerMirroredStrategy over the cluster in TF_CONFIG.
  - `"tpu"`: TPUStrategy on the TPU the environment names.
  """
  if name == "auto":
    if _cluster_size() > 1:
      name = "multi_worker"
    else:
      name = "mirrored" if tf.config.list_physical_devices("GPU") else "default"
  if name == "default":
    return tf.distribute.get_strategy()
  if name == "mirrored":
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy([device.name for device in devices])
  if name == "multi_worker":
    if not _cluster_size():
      raise ValueError(
          f"--strategy=multi_worker needs the cluster in the TF_CONFIG environment variable, set on every worker "
          f"with its own index, e.g. {_TF_CONFIG_EXAMPLE}.")
    return tf.distribute.MultiWorkerMirroredStrategy()
  if name == "tpu":
    try:
      resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
      tf.config.experimental_connect_to_cluster(resolver)
      tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, tf.errors.NotFoundError) as error:
      raise ValueError(
          f"No TPU could be found for --strategy=tpu ({error}): run on a Cloud TPU VM, or name the TPU in "
          f"TPU_NAME.") from None
    return tf.distribute.TPUStrategy(resolver)
  raise ValueError(f"Unknown strategy {name!r}.")


def _cluster_size():
  """The number of training tasks (chief and workers) TF_CONFIG's cluster lists; 0 without TF_CONFIG."""
  raw = os.environ.get("TF_CONFIG")
  if not raw:
    return 0
  try:
    cluster = json.loads(raw).get("cluster", {})
    return sum(len(cluster.get(job, ())) for job in ("chief", "worker"))
  except (ValueError, AttributeError, TypeError):
    raise ValueError(
        f"TF_CONFIG is not the JSON TensorFlow expects: {raw!r}; for example {_TF_CONFIG_EXAMPLE}.") from None


def describe_strategy(strategy):
  """`strategy` in a few words: "MultiWorkerMirroredStrategy, 2 workers, 4 replicas" (TF's class names are
  others: CollectiveAllReduceStrategy, _DefaultDistributionStrategy)."""
  kinds = {"MultiWorkerMirroredStrategy": tf.distribute.MultiWorkerMirroredStrategy,
           "MirroredStrategy": tf.distribute.MirroredStrategy, "TPUStrategy": tf.distribute.TPUStrategy}
  name = next((name for name, kind in kinds.items() if isinstance(strategy, kind)), "the default strategy")
  replicas, workers = strategy.num_replicas_in_sync, worker_role(strategy).count
  return ", ".join([name, *([f"{workers} workers"] if workers > 1 else []),
                    f"{replicas} replica{'s' if replicas > 1 else ''}"])


@dataclasses.dataclass(frozen=True)
class WorkerRole:
  """This process's place in a run: `index` of `count` workers; the chief alone writes the run's files."""

  index: int = 0
  count: int = 1

  @property
  def is_chief(self):
    return self.index == 0


def worker_role(strategy):
  """This process's `WorkerRole` under `strategy`: worker `task_id` of a multi-worker cluster, else the only one."""
  resolver = getattr(strategy, "cluster_resolver", None)
  if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) or resolver is None:
    return WorkerRole()
  cluster = resolver.cluster_spec()
  if not cluster.jobs:
    return WorkerRole()
  # TF's rule: a "chief" task, when the cluster has one, is the chief; otherwise worker 0 is. Workers count after it.
  has_chief = "chief" in cluster.jobs
  index = resolver.task_id + (1 if has_chief and resolver.task_type == "worker" else 0)
  count = sum(cluster.num_tasks(job) for job in ("chief", "worker") if job in cluster.jobs)
  return WorkerRole(index, count)


def local_cluster(count):
  """TF_CONFIG values for `count` workers on this machine (127.0.0.1, free ports), one per worker in order:
  multi-worker training tried on one machine, as the tests do."""
  sockets = [socket.socket() for _ in range(count)]
  for s in sockets:
    s.bind(("127.0.0.1", 0))
  workers = [f"127.0.0.1:{s.getsockname()[1]}" for s in sockets]
  for s in sockets:
    s.close()
  return [json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})
          for index in range(count)]
