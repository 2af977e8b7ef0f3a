"""A run's input pipelines: training batches shared out over workers and replicas, the test split, the first batch
that initialises ActNorm, and the real attribute vectors that label a conditional model's sample grids."""

import tensorflow as tf

from glow_tf import data


class RunData:
  """The pipelines of one invocation of `train`.

  Args:
    trainer: the run's `Trainer` (its configs and strategy).
    data_seed: this start's seed for the training data's order and noise.
    custom_batches: {"train": dataset or None, "test": dataset or None}, a caller's own batched datasets.
  """

  def __init__(self, trainer, data_seed, custom_batches):
    self._strategy = trainer.strategy
    self._config, self._train_config = trainer.glow_config, trainer.train_config
    self._data_seed = data_seed
    self._custom = custom_batches
    self._test = None
    self._attribute_vectors = {}

  def initialization_batch(self):
    """The first training batch of `init_batch_size` images. Every worker reads the same one (no shard), so all
    initialise ActNorm alike."""
    return next(iter(self._pipeline("train", self._train_config.init_batch_size, training=True)))

  def training_batches(self):
    """Each replica's share of every global batch: each worker reads its own shard, split over its devices."""
    if self._custom["train"] is not None:
      return self._strategy.experimental_distribute_dataset(self._custom["train"].repeat())
    return self._strategy.distribute_datasets_from_function(lambda context: self._pipeline(
        "train", context.get_per_replica_batch_size(self._train_config.batch_size), training=True,
        shard=(context.num_input_pipelines, context.input_pipeline_id)))

  def test_batches(self):
    # Built once: a pipeline built anew traces its functions again at every evaluation. Its noise is stateless
    # (seeded by each image's index), so every pass over it is the same.
    if self._test is None:
      self._test = self._pipeline("test", self._train_config.batch_size, training=False)
    return self._test

  def test_attribute_vectors(self, n):
    """The labels of the first n test images (real combinations of attributes), built once per n."""
    if n not in self._attribute_vectors:
      labels = self._pipeline("test", n, training=False).unbatch().batch(n)
      self._attribute_vectors[n] = tf.convert_to_tensor(labels.take(1).get_single_element()[1])
    return self._attribute_vectors[n]

  def _pipeline(self, split, batch_size, training, shard=(1, 0)):
    if self._custom[split] is not None:
      return self._custom[split]
    tc = self._train_config
    # The test set's noise is the run's own, the same in every evaluation and after every restart, so that
    # evaluations compare the model alone (and evaluate.py bpd --seed=<the run's seed> repeats them).
    seed = self._data_seed if training else tc.seed
    return data.make_pipeline(
        tc.dataset, self._config, split=split, batch_size=batch_size, training=training, seed=seed,
        data_dir=tc.data_dir, with_labels=tc.conditional, shard=shard)
