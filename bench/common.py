"""What the benchmarks share: the machine's description, glow_tf and tfp.bijectors.Glow built at one architecture,
their convolutions' FLOPs, interleaved timing, and line charts.

The scripts import it by name (`from common import ...`): each runs with bench/ first on its path. TensorFlow is
imported where a model is built, so a driver that only plots or describes the machine does not load it.
"""

import importlib.metadata
import os
import platform
import subprocess
import time

import numpy as np
from PIL import Image, ImageDraw

# Environment variables that cap the instruction sets oneDNN, XLA, torch and MKL use: a run under any of them is
# not the machine's own speed, so its description says so.
ISA_CAPS = ("ONEDNN_MAX_CPU_ISA", "XLA_FLAGS", "ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS")


def machine():
  """The CPU (model, cores, AVX-512 / bfloat16 / AMX or AVX2 only, any cap in force), OS and library versions."""
  try:
    lscpu = subprocess.run(["lscpu"], stdout=subprocess.PIPE, text=True, check=True).stdout
  except (OSError, subprocess.CalledProcessError):
    lscpu = ""
  fields = dict(line.split(":", 1) for line in lscpu.splitlines() if ":" in line)
  flags = fields.get("Flags", "").split()
  extras = [name for name, flag in (("AVX-512", "avx512f"), ("AVX512-BF16", "avx512_bf16"), ("AMX", "amx_tile"))
            if flag in flags]
  caps = [f"{name}={os.environ[name]}" for name in ISA_CAPS if os.environ.get(name)]
  versions = ", ".join(f"{name} {importlib.metadata.version(package)}" for name, package in (
      ("TensorFlow", "tensorflow"), ("TensorFlow Probability", "tensorflow-probability")))
  return (f"{fields.get('Model name', 'unknown CPU').strip()}, {os.cpu_count()} cores, "
          f"{', '.join(extras) or 'AVX2 only'}{', capped by ' + ' '.join(caps) if caps else ''}; "
          f"{platform.system()} {platform.release()}, Python {platform.python_version()}, {versions}")


def convolutions(image_size, levels, steps, hidden, coupling):
  """Every convolution of one forward pass, as (count, size, C_in, C_out, k): count of them on size x size."""
  size, channels, convs = image_size, 3, []
  for level in range(levels):
    size, channels = size // 2, channels * 4
    half = channels // 2
    coupling_out = half if coupling == "additive" else channels
    convs += [(steps, size, channels, channels, 1),                     # invertible 1x1 convolution
              (steps, size, half, hidden, 3), (steps, size, hidden, hidden, 1),
              (steps, size, hidden, coupling_out, 3)]                   # coupling network
    if level < levels - 1:
      convs.append((1, size, half, channels, 3))  # split prior's zero conv3x3: half -> (mean, log-scale)
      channels = half
  return convs


def config_flops(image_size, levels, steps, hidden, coupling):
  """Analytic forward FLOPs of one image: every convolution, 2*k*k*C_in*C_out*H*W."""
  return sum(2 * count * size * size * k * k * c_in * c_out
             for count, size, c_in, c_out, k in convolutions(image_size, levels, steps, hidden, coupling))


class Ours:
  """glow_tf through its public API: Trainer.train_step, Glow.log_prob, Glow.sample."""

  def __init__(self, image_size, levels, steps, hidden, batch, coupling, x, network_dtype="", optimizer="adamax",
               xla=False, channels=3):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    from glow_tf import GlowConfig  # pylint: disable=g-import-not-at-top
    from glow_tf.training import TrainConfig, Trainer  # pylint: disable=g-import-not-at-top
    config = GlowConfig(image_shape=(image_size, image_size, channels), levels=levels, steps_per_level=steps,
                        hidden_channels=hidden, coupling=coupling, network_dtype=network_dtype)
    self.trainer = Trainer(config, TrainConfig(batch_size=batch, warmup_steps=100, optimizer=optimizer, xla=xla))
    self.trainer.initialize(x)
    glow = self.trainer.glow
    self.log_prob = tf.function(glow.log_prob, jit_compile=xla)
    self.sample = tf.function(lambda: glow.sample(batch, 1.0, seed=tf.constant([1, 2])))

  def train(self, x):
    return self.trainer.train_step(x)["bits_per_dim"]


class Tfp:
  """tfp.bijectors.Glow at the same architecture, with ActNorm like ours."""

  def __init__(self, image_size, levels, steps, hidden, batch, coupling, x, optimizer="adamax", xla=False,
               channels=3):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    import tensorflow_probability as tfp  # pylint: disable=g-import-not-at-top
    tfb, tfd = tfp.bijectors, tfp.distributions
    shape = (image_size, image_size, channels)
    network = tfb.GlowDefaultNetwork if coupling == "affine" else _additive_network
    glow = tfb.Glow(
        output_shape=shape, num_glow_blocks=levels, num_steps_per_block=steps,
        coupling_bijector_fn=lambda input_shape: network(input_shape, num_hidden=hidden),
        exit_bijector_fn=tfb.GlowDefaultExitNetwork, grab_after_block=(0.5,) * levels, use_actnorm=True)
    dist = tfd.TransformedDistribution(tfd.Sample(tfd.Normal(0.0, 1.0), glow.inverse_event_shape(shape)), glow)
    dist.log_prob(x)  # Initialises TFP's ActNorms from data, eagerly, before any tracing.
    variables = glow.trainable_variables
    optimizer = {"adamax": tf.keras.optimizers.Adamax, "adam": tf.keras.optimizers.Adam}[optimizer](1e-4)
    optimizer.build(variables)

    @tf.function(jit_compile=xla)
    def train(x):
      with tf.GradientTape() as tape:
        loss = -tf.reduce_mean(dist.log_prob(x))
      optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
      return loss

    self.train = train
    self.log_prob = tf.function(dist.log_prob, jit_compile=xla)
    self.sample = tf.function(lambda: dist.sample(batch, seed=tf.constant([1, 2])))


def _additive_network(input_shape, num_hidden):
  """tfb.GlowDefaultNetwork with as many outputs as inputs, which makes tfb.Glow's coupling additive."""
  import tensorflow_probability as tfp  # pylint: disable=g-import-not-at-top
  import tf_keras  # pylint: disable=g-import-not-at-top
  layers = tfp.bijectors.GlowDefaultNetwork(input_shape, num_hidden=num_hidden).layers
  last = tf_keras.layers.Conv2D(input_shape[-1], 3, padding="same", kernel_initializer="zeros")
  return tf_keras.Sequential([tf_keras.Input(shape=input_shape), *layers[:-1], last])


def calls_per_repeat(call, seconds):
  """How many calls of an already traced `call` take about `seconds`, judged from one call."""
  start = time.perf_counter()
  call().numpy()
  return max(1, round(seconds / (time.perf_counter() - start)))


def images_per_second(calls, batch, repeats, seconds, between_rounds=None):
  """{key: [images/s in each round]} for a dict of traced calls that each process `batch` images, timed
  round-robin: on a shared machine the load drifts, and timing every call once per round, the order reversed
  every other round, lets the drift fall on all of them alike, so that their ratios stay meaningful.

  Args:
    calls: {key: call}; a call returns a tensor, read back to wait for its result.
    batch: images per call.
    repeats: rounds; each round times every call for about `seconds`.
    seconds: duration of one timing.
    between_rounds: optional callable run after each round (e.g. a matmul peak measurement).
  """
  counts = {key: calls_per_repeat(call, seconds) for key, call in calls.items()}
  timings = {key: [] for key in calls}
  for repeat in range(repeats):
    for key in (list(calls) if repeat % 2 == 0 else list(calls)[::-1]):
      start = time.perf_counter()
      for _ in range(counts[key]):
        out = calls[key]()
      out.numpy()
      timings[key].append(batch * counts[key] / (time.perf_counter() - start))
    if between_rounds:
      between_rounds()
  return timings


_COLOURS = ((200, 80, 40), (40, 80, 200), (40, 160, 80), (150, 60, 170), (120, 120, 120))


def line_chart(x, curves, path, caption, width=640, height=360, margin=40):
  """Draws each curve of `curves` ({name: y values, one per x}) against `x` into the PNG at `path`, with PIL:
  the benchmarks need no plotting library."""
  x = np.asarray(x, float)
  values = np.concatenate([np.asarray(y, float) for y in curves.values()])
  low, high = values.min(), values.max()
  image = Image.new("RGB", (width, height), "white")
  draw = ImageDraw.Draw(image)
  to_xy = lambda s, v: (margin + (s - x.min()) / max(np.ptp(x), 1e-9) * (width - 2 * margin),
                        height - margin - (v - low) / max(high - low, 1e-9) * (height - 2 * margin))
  draw.rectangle([margin, margin, width - margin, height - margin], outline="black")
  for (name, y), colour in zip(curves.items(), _COLOURS):
    draw.line([to_xy(s, v) for s, v in zip(x, y)], fill=colour, width=2)
    draw.text(to_xy(x[-1], y[-1]), name, fill=colour)
  draw.text((margin, 10), caption.format(low=low, high=high, x_low=x.min(), x_high=x.max()), fill="black")
  image.save(path)
