"""The reference's learning-rate schedule: linear warm-up, then constant."""

import keras
import tensorflow as tf


class LinearWarmup(keras.optimizers.schedules.LearningRateSchedule):
  """`learning_rate * min(1, (step + 1) / warmup_steps)`."""

  def __init__(self, learning_rate, warmup_steps):
    self.learning_rate = learning_rate
    self.warmup_steps = warmup_steps

  def __call__(self, step):
    if not self.warmup_steps:
      return tf.constant(self.learning_rate, tf.float32)
    progress = (tf.cast(step, tf.float32) + 1.0) / self.warmup_steps
    return self.learning_rate * tf.minimum(1.0, progress)

  def get_config(self):
    return {"learning_rate": self.learning_rate, "warmup_steps": self.warmup_steps}
