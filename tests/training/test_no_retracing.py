"""A long run traces its graphs in its first steps and never again (each trace costs time and keeps a graph)."""

import pytest

from glow_tf import GlowConfig
from glow_tf.tracing import TraceCounter
from glow_tf.training import TrainConfig, train


@pytest.mark.parametrize("conditional", [False, True], ids=["unconditional", "class_labels"])
def test_training_steps_evaluations_and_sample_grids_trace_nothing_after_the_first(tmp_path, conditional):
  config = GlowConfig(image_shape=(8, 8, 1), levels=1, steps_per_level=2, hidden_channels=8, pixel_levels=17,
                      num_classes=10 if conditional else 0)
  run = TrainConfig(dataset="digits", conditional=conditional, model_dir=str(tmp_path / "run"), batch_size=16,
                    init_batch_size=32, steps=24, warmup_steps=2, log_every=2, eval_every=4, sample_every=4,
                    num_samples=4, checkpoint_every=4, eval_batches=2)
  traced_by_step = {}
  with TraceCounter() as traces:
    result = train(config, run, log=lambda _: None,
                   on_step=lambda progress: traced_by_step.setdefault(progress.step, traces.total))
  assert result.step == 24 and result.test_bits_per_dim is not None
  # Steps 4 and 8 evaluated, drew sample grids and saved checkpoints; everything after that ran the same graphs,
  # the final evaluation, grids and checkpoint included.
  assert traced_by_step[4] > 0
  assert traced_by_step[8] == traced_by_step[22] == traces.total, (traced_by_step, traces.names[traced_by_step[8]:])
