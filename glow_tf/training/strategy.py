"""Choosing a `tf.distribute` strategy by name."""

import tensorflow as tf


def make_strategy(name):
  """`"auto"`: MirroredStrategy over all local GPUs when there are any, else the default (one-device) strategy."""
  if name == "auto":
    name = "mirrored" if tf.config.list_logical_devices("GPU") else "default"
  if name == "default":
    return tf.distribute.get_strategy()
  if name == "mirrored":
    return tf.distribute.MirroredStrategy()
  if name == "multi_worker":
    return tf.distribute.MultiWorkerMirroredStrategy()
  if name == "tpu":
    try:
      resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
      tf.config.experimental_connect_to_cluster(resolver)
      tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, tf.errors.NotFoundError) as error:
      raise RuntimeError(f"No TPU could be found for --strategy=tpu: {error}") from None
    return tf.distribute.TPUStrategy(resolver)
  raise ValueError(f"Unknown strategy {name!r}.")
