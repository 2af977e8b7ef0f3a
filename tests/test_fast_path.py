"""The automatic choices of glow_tf.fast_path: XLA or the graph, the thread pools, the garbage collector."""

import gc
import weakref

import pytest

from glow_tf import GlowConfig, fast_path
from glow_tf.training import TrainConfig, Trainer

TINY = GlowConfig(image_shape=(4, 4, 1), levels=1, steps_per_level=1, hidden_channels=2, coupling="additive")
# 32x32x3, L=3, K=8, W=128, affine: the smallest model of bench/vs_pytorch.py.
CIFAR_W128 = GlowConfig(image_shape=(32, 32, 3), levels=3, steps_per_level=8, hidden_channels=128)


def test_forward_flops_counts_every_convolution_of_a_level():
  # One level of 2x2x4 after the squeeze: 1x1 conv 4x4, coupling net 3x3 2->2, 1x1 2->2, 3x3 2->2 (additive).
  per_pixel = 4 * 4 + 9 * 2 * 2 + 2 * 2 + 9 * 2 * 2
  assert fast_path.forward_flops(TINY) == 2 * per_pixel * 2 * 2
  # Two levels: 4x4x4 and its split prior's 3x3 conv (2 -> 4 channels), then the top at 2x2x8 (half: 4).
  two_levels = GlowConfig(image_shape=(8, 8, 1), levels=2, steps_per_level=1, hidden_channels=2, coupling="additive")
  bottom = (4 * 4 + 9 * 2 * 2 + 2 * 2 + 9 * 2 * 2) * 4 * 4 + 9 * 2 * 4 * 4 * 4
  top = (8 * 8 + 9 * 4 * 2 + 2 * 2 + 9 * 2 * 4) * 2 * 2
  assert fast_path.forward_flops(two_levels) == 2 * (bottom + top)


@pytest.mark.parametrize("setting", [True, False])
def test_a_given_setting_is_kept(setting):
  assert fast_path.use_xla(setting, CIFAR_W128, 512, calls=1) is setting


def test_automatic_xla_only_for_small_steps_and_long_enough_work():
  assert fast_path.use_xla(None, CIFAR_W128, 16, calls=fast_path.MIN_CALLS)  # 3.8 GFLOP a step.
  assert not fast_path.use_xla(None, CIFAR_W128, 16, calls=fast_path.MIN_CALLS - 1)  # Compilation would not pay.
  assert not fast_path.use_xla(None, CIFAR_W128, 64, calls=10**6)  # 15 GFLOP: the convolutions dominate.
  # 7.7 GFLOP: past the training step's limit, within log_prob's.
  assert not fast_path.use_xla(None, CIFAR_W128, 32, calls=10**6)
  assert fast_path.use_xla(None, CIFAR_W128, 32, calls=10**6, training=False)


def test_without_avx512_log_prob_takes_xla_up_to_a_limit_of_its_own(monkeypatch):
  # 32x32x3, L=3, K=8, W=512: 32 GFLOP a call at batch 16, 257 at batch 128.
  cifar_w512 = GlowConfig(image_shape=(32, 32, 3), levels=3, steps_per_level=8, hidden_channels=512)
  monkeypatch.setattr(fast_path, "onednn_has_avx512", lambda: False)
  assert fast_path.use_xla(None, cifar_w512, 16, calls=10**6, training=False)
  assert not fast_path.use_xla(None, cifar_w512, 128, calls=10**6, training=False)
  assert not fast_path.use_xla(None, cifar_w512, 16, calls=10**6)  # Training keeps its limit.
  monkeypatch.setattr(fast_path, "onednn_has_avx512", lambda: True)
  assert not fast_path.use_xla(None, cifar_w512, 16, calls=10**6, training=False)


@pytest.mark.parametrize("flags, cap, expected", [
    ("fpu avx2 avx512f avx512bw", "", True),
    ("fpu avx2 fma", "", False),
    ("fpu avx2 avx512f avx512bw", "AVX2", False),  # oneDNN capped below AVX-512.
    ("fpu avx2 avx512f avx512bw", "AVX512_CORE_AMX", True),
    (None, "", True),  # No flags to read: the limits first measured.
])
def test_onednn_has_avx512_reads_the_cpus_flags_and_onednns_cap(tmp_path, monkeypatch, flags, cap, expected):
  cpuinfo = tmp_path / "cpuinfo"
  if flags is not None:
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
  monkeypatch.setattr(fast_path, "CPUINFO", str(cpuinfo))
  monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", cap)
  assert fast_path.onednn_has_avx512() is expected


def test_the_trainer_compiles_small_long_runs():
  assert Trainer(TINY, TrainConfig(batch_size=4, steps=fast_path.MIN_CALLS)).xla
  assert not Trainer(TINY, TrainConfig(batch_size=4, steps=10)).xla
  assert not Trainer(TINY, TrainConfig(batch_size=4, steps=fast_path.MIN_CALLS, xla=False)).xla


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_thread_pool_sizes_are_whole_numbers(bad):
  with pytest.raises(ValueError, match="intra_op_threads must be a whole number >= 0"):
    fast_path.set_thread_pools(intra_op_threads=bad)
  with pytest.raises(ValueError, match="inter_op_threads must be a whole number >= 0"):
    TrainConfig(inter_op_threads=bad)


def test_freeze_imports_exempts_what_lives_now_and_still_collects_what_comes_later():
  try:
    fast_path.freeze_imports()
    assert gc.get_freeze_count() > 100_000  # TensorFlow's, TFP's and Keras's modules, classes and registries.
    cycle = Node()
    cycle.itself = cycle
    later = weakref.ref(cycle)
    del cycle
    gc.collect()
    assert later() is None
  finally:
    gc.unfreeze()


class Node:
  pass
