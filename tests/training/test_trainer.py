import textwrap

import numpy as np
import pytest
import tensorflow as tf

from glow_tf import GlowConfig
from glow_tf.training import ConfigMismatchError, TrainConfig, Trainer, resolve_config
from glow_tf.training.schedule import LinearWarmup
from tests.tiny_run import run_with_cpu_devices

TINY = GlowConfig(image_shape=(4, 4, 3), levels=2, steps_per_level=2, hidden_channels=8)


def batch(size=8, seed=1):
  return tf.random.stateless_uniform([size, 4, 4, 3], [seed, 2], -0.5, 0.5)


def test_steps_lower_bits_per_dim_and_count():
  trainer = Trainer(TINY, TrainConfig(batch_size=8, warmup_steps=0, learning_rate=1e-2))
  x = batch()
  trainer.initialize(x)
  first = float(trainer.train_step(x)["bits_per_dim"])
  for _ in range(10):
    last = float(trainer.train_step(x)["bits_per_dim"])
  assert last < first - 0.1
  assert int(trainer.step) == 11 and int(trainer.optimizer.iterations) == 11


def test_an_xla_step_matches_the_graph_step():
  graph = Trainer(TINY, TrainConfig(batch_size=8, xla=False))
  xla = Trainer(TINY, TrainConfig(batch_size=8, xla=True))
  for trainer in (graph, xla):
    trainer.initialize(batch())
  np.testing.assert_allclose(xla.train_step(batch())["bits_per_dim"], graph.train_step(batch())["bits_per_dim"],
                             rtol=1e-4)


def test_non_finite_steps_are_skipped_and_counted():
  trainer = Trainer(TINY, TrainConfig(batch_size=8))
  x = batch()
  trainer.initialize(x)
  before = [v.numpy() for v in trainer.glow.trainable_variables]
  poisoned = tf.tensor_scatter_nd_update(x, [[0, 0, 0, 0]], [np.nan])
  metrics = trainer.train_step(poisoned)
  assert not bool(metrics["finite"])
  assert int(trainer.skipped_steps) == 1 and int(trainer.step) == 1
  assert int(trainer.optimizer.iterations) == 0
  for old, variable in zip(before, trainer.glow.trainable_variables):
    np.testing.assert_array_equal(variable.numpy(), old)


@pytest.mark.parametrize("optimizer", ["adamax", "adam"])
def test_weight_decay_shrinks_each_weight_by_the_rate_times_the_decay_before_the_update(optimizer):
  trainers = [Trainer(TINY, TrainConfig(batch_size=8, warmup_steps=0, learning_rate=1e-2, optimizer=optimizer,
                                        weight_decay=decay, ema_decay=0)) for decay in (0.0, 0.5)]
  for trainer in trainers:
    trainer.initialize(batch())
  before = [v.numpy() for v in trainers[0].glow.trainable_variables]
  for trainer in trainers:
    trainer.train_step(batch())
  plain, decayed = ([v.numpy() for v in trainer.glow.trainable_variables] for trainer in trainers)
  for weight, without, with_decay in zip(before, plain, decayed):
    np.testing.assert_allclose(with_decay - without, -1e-2 * 0.5 * weight, rtol=1e-3, atol=1e-7)


def test_initialize_happens_once():
  trainer = Trainer(TINY, TrainConfig(batch_size=8))
  trainer.initialize(batch(seed=1))
  actnorm = trainer.glow.bijector.bijectors[1].bijectors[1].actnorm
  initialised = actnorm.bias.numpy()
  trainer.initialize(batch(seed=2) * 3.0)
  np.testing.assert_array_equal(actnorm.bias.numpy(), initialised)


def test_gradient_clipping_reports_the_unclipped_norm_and_bounds_the_update():
  config = TrainConfig(batch_size=8, warmup_steps=0, clip_gradient_norm=1e-3, optimizer="adam")
  trainer = Trainer(TINY, config)
  trainer.initialize(batch())
  metrics = trainer.train_step(batch())
  assert float(metrics["gradient_norm"]) > 1e-3


def test_conditional_step_uses_labels():
  config = TrainConfig(batch_size=4, conditional=True, warmup_steps=0, learning_rate=1e-2)
  trainer = Trainer(GlowConfig(**{**TINY.__dict__, "num_classes": 3}), config)
  x, labels = batch(4), tf.constant([0, 1, 2, 0])
  trainer.initialize((x, labels))
  for _ in range(3):
    trainer.train_step((x, labels))
  weights = trainer.glow._path_to_top_prior[-1].label_weights.numpy()
  assert np.abs(weights).max() > 0


def test_linear_warmup():
  schedule = LinearWarmup(1e-3, warmup_steps=10)
  np.testing.assert_allclose([float(schedule(s)) for s in (0, 4, 9, 50)], [1e-4, 5e-4, 1e-3, 1e-3], rtol=1e-6)
  assert float(LinearWarmup(2e-3, 0)(0)) == pytest.approx(2e-3)


def test_cosine_decay_falls_from_the_peak_after_the_warm_up_to_zero_at_the_last_step():
  schedule = LinearWarmup(1e-3, warmup_steps=10, decay_steps=110)
  np.testing.assert_allclose([float(schedule(s)) for s in (4, 9, 60, 110, 200)], [5e-4, 1e-3, 5e-4, 0, 0],
                             atol=1e-9)
  for decay, rate in (("cosine", 5e-4), ("none", 1e-3)):
    trainer = Trainer(TINY, TrainConfig(batch_size=8, steps=110, warmup_steps=10, learning_rate_decay=decay))
    trainer.optimizer.iterations.assign(60)
    assert float(trainer.learning_rate()) == pytest.approx(rate)


def test_resolve_config_takes_the_saved_config_and_refuses_contradictions(tmp_path):
  defaults = dict(image_shape=(8, 8, 1), levels=2, steps_per_level=4, hidden_channels=16, pixel_levels=17)
  new = resolve_config(str(tmp_path), defaults, {"hidden_channels": 32})
  assert new.hidden_channels == 32
  new.save(str(tmp_path / "config.json"))
  assert resolve_config(str(tmp_path), defaults, {}) == new
  assert resolve_config(str(tmp_path), defaults, {"hidden_channels": 32}) == new
  with pytest.raises(ConfigMismatchError, match="hidden_channels=64 \\(trained with 32\\).*another --model_dir"):
    resolve_config(str(tmp_path), defaults, {"hidden_channels": 64})


@pytest.mark.parametrize("fields, message", [
    (dict(batch_size=0), "batch_size must be a whole number >= 1"),
    (dict(learning_rate=-1.0), "learning_rate must be positive"),
    (dict(optimizer="sgd"), "choose one of 'adamax', 'adam'"),
    (dict(strategy="horovod"), "choose one of 'auto'"),
    (dict(temperatures=()), "temperatures"),
    (dict(clip_gradient_norm=-1.0), "clip_gradient_norm"),
    (dict(eval_every=-5), "eval_every must be a whole number >= 0"),
])
def test_bad_train_configs_are_refused_clearly(fields, message):
  with pytest.raises(ValueError, match=message):
    TrainConfig(**fields)


MIRRORED_SCRIPT = textwrap.dedent("""
    import numpy as np
    import tensorflow as tf
    from glow_tf import GlowConfig
    from glow_tf.training import TrainConfig, Trainer

    config = GlowConfig(image_shape=(4, 4, 3), levels=2, steps_per_level=2, hidden_channels=8)
    # Weight decay large enough (w *= 1 - 1e-3 a step) that a mirrored weight decayed twice, or not at all, shows.
    train_config = TrainConfig(batch_size=8, warmup_steps=0, clip_gradient_norm=5.0, weight_decay=1.0, xla=False)
    x = tf.random.stateless_uniform([8, 4, 4, 3], [3, 4], -0.5, 0.5)
    results = []
    for strategy in (tf.distribute.get_strategy(), tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])):
      trainer = Trainer(config, train_config, strategy)
      trainer.initialize(x)
      if strategy.num_replicas_in_sync == 1:
        # Adamax moves each weight by about the learning rate whatever its gradient's size, so a weight whose
        # first gradient is rounding noise (a few of the top prior's are 1e-10) moves either way: compare the
        # others (those with a real gradient, and those with none, which stay put).
        with tf.GradientTape() as tape:
          loss = -tf.reduce_mean(trainer.glow.log_prob(x))
        gradients = [g.numpy() for g in tape.gradient(loss, trainer.glow.trainable_variables)]
        determined = [(g == 0) | (np.abs(g) > 1e-6 * np.abs(g).max()) for g in gradients]
      batches = strategy.experimental_distribute_dataset(tf.data.Dataset.from_tensors(x).repeat(3))
      losses = [float(trainer.train_step(b)["bits_per_dim"]) for b in batches]
      results.append((strategy.num_replicas_in_sync, losses, [v.numpy() for v in trainer.glow.trainable_variables]))
    (single, single_losses, single_weights), (mirrored, mirrored_losses, mirrored_weights) = results
    assert (single, mirrored) == (1, 2)
    np.testing.assert_allclose(mirrored_losses, single_losses, rtol=1e-5)
    moved = max(np.abs(w - w0).max() for w, w0 in zip(single_weights, mirrored_weights))
    changed = max(np.abs(w).max() for w in single_weights)
    assert sum(d.sum() for d in determined) > 0.95 * sum(d.size for d in determined)
    for a, b, d in zip(single_weights, mirrored_weights, determined):
      np.testing.assert_allclose(b[d], a[d], atol=2e-4)

    # Replicas that start apart (as GPUs' arithmetic can leave them) agree once initialize has copied the first's.
    # (The same strategy as above: two in one process would draw the same collective instance keys.)
    trainer = Trainer(config, train_config, strategy)
    coupling_weight = trainer.glow.trainable_variables[-1]
    coupling_weight.values[1].assign(coupling_weight.values[0] + 1.0)
    norms = trainer.replica_weight_norms()
    assert norms[0] != norms[1], norms
    trainer.initialize(x)
    assert len(set(trainer.replica_weight_norms())) == 1
    for variable in trainer.glow.trainable_variables:
      np.testing.assert_array_equal(variable.values[1].numpy(), variable.values[0].numpy())
    print("MIRRORED_OK", single_losses, moved)
""")


@pytest.mark.slow
def test_mirrored_step_on_two_cpu_replicas_matches_a_single_device_step(tmp_path):
  result = run_with_cpu_devices(MIRRORED_SCRIPT, tmp_path)
  assert "MIRRORED_OK" in result.stdout, result.stderr[-3000:]
