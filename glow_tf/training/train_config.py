"""`TrainConfig`: everything about a training run that is not the model's architecture."""

import dataclasses
import json

from glow_tf.choices import (BACKPROP_MODES, DATASETS, LEARNING_RATE_DECAYS, OPTIMIZERS, STRATEGIES,
                             check_config_choices, config_field)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
  """How to train a Glow model. The defaults are digits' measured schedule (`training.presets`).

  Attributes:
    dataset: a name from `glow_tf.data.DATASET_NAMES`, or `folder:PATH`.
    data_dir: where tensorflow_datasets keeps (or downloads) its data; None for its default.
    model_dir: checkpoints, config.json, TensorBoard logs and sample grids go here; a run resumes from it.
    batch_size: the global batch, split across replicas.
    learning_rate: the peak learning rate, reached after `warmup_steps` of linear warm-up.
    warmup_steps: steps of linear warm-up from 0 (longer warm-up is the cure for Glow's early NaNs).
    learning_rate_decay: after the warm-up, `"none"` keeps the rate (the reference's); `"cosine"` decays it to 0 at
      `steps`, which slows a run that overfits past its best (digits' preset has it).
    weight_decay: decoupled weight decay (AdamW's): each update first shrinks every weight by
      `learning_rate * weight_decay` of itself; 0 (the reference's) shrinks nothing. It lets a deeper and wider
      model pay on small data (digits' preset: 0.5; the measurements are in `glow_tf.data.digits`). It is
      unmeasured on larger data, so no other default has it.
    ema_decay: the decay of the Polyak average of the weights (`glow_tf.training.averaging`) that evaluations,
      sample grids, the best model and the export use; 0 uses the raw weights.
    optimizer: `"adamax"` (the reference's) or `"adam"`.
    clip_gradient_norm: clip the global gradient norm to this; 0 disables clipping.
    backprop: how the backward pass gets the layers' activations: `"stored"` (kept), `"recomputed"` (from
      each layer's stored input) or `"invertible"` (each layer's input rebuilt from its output, memory that
      does not grow with depth); see `glow_tf.Glow`.
    steps: training steps in all (a resumed run continues to this count).
    seed: fixes the model's initialisation, the data order and the sample grids.
    checkpoint_every, eval_every, sample_every, log_every: intervals in steps (0 disables eval/samples).
    eval_batches: test batches per evaluation (0: the whole test split).
    patience: stop early after this many evaluations in a row without a better test bits/dim than the best
      so far (0: never); the best model is kept either way.
    temperatures: the sample grids' temperatures.
    num_samples: images per sample grid.
    conditional: condition the model on the dataset's labels.
    xla: compile the training step with XLA; None chooses from the step's size (`glow_tf.fast_path.use_xla`):
      on for small steps on CPU, where XLA measured faster, off for large ones and on GPUs and TPUs.
    intra_op_threads, inter_op_threads: TensorFlow's thread pools; 0 is TensorFlow's choice (one thread per
      core), which measured fastest (`glow_tf.fast_path`).
    strategy: `"auto"` (the cluster in TF_CONFIG if it lists several tasks, else all local GPUs, else one
      device), `"default"`, `"mirrored"`, `"multi_worker"` (machines from TF_CONFIG) or `"tpu"`; see
      `glow_tf.training.make_strategy`.
    init_batch_size: images for ActNorm's data-dependent initialisation (the reference uses 256).
    max_nonfinite_steps: stop after this many consecutive steps with non-finite loss or gradients.
  """

  dataset: str = config_field(
      "digits", f"{', '.join(DATASETS)} (digits: embedded, the default), or folder:PATH for your own images (one "
      "subfolder per class for labels).")
  data_dir: str | None = config_field(
      None, "tensorflow_datasets data directory, or one holding CelebA's original files.")
  model_dir: str = config_field("runs/digits", "Checkpoints, logs and samples (default: runs/<dataset>).")
  batch_size: int = config_field(64, "Global batch size.")
  learning_rate: float = config_field(1e-3, "Peak learning rate.")
  warmup_steps: int = config_field(100, "Linear learning-rate warm-up steps.")
  learning_rate_decay: str = config_field(
      "none", "After the warm-up: none (constant, the reference's; the default) or cosine (decay to 0 at --steps).",
      LEARNING_RATE_DECAYS)
  weight_decay: float = config_field(
      0.0, "Decoupled weight decay: each update shrinks every weight by learning rate x this (0: none).")
  ema_decay: float = config_field(
      0.999, "Decay of the average of the weights that evaluation, samples and export use (0: the raw weights).")
  optimizer: str = config_field("adamax", "Optimiser (default: adamax, as the reference).", OPTIMIZERS)
  clip_gradient_norm: float = config_field(0.0, "Clip the global gradient norm (0: no clipping).")
  backprop: str = config_field(
      "stored", "How the backward pass gets activations: stored (default), recomputed from each layer's stored "
      "input, or invertible: rebuilt from each layer's output, memory that does not grow with depth.",
      BACKPROP_MODES)
  steps: int = config_field(1000, "Training steps in all.")
  seed: int = config_field(0, "Random seed.")
  checkpoint_every: int = config_field(250, "Steps between checkpoints.")
  eval_every: int = config_field(250, "Steps between test-set evaluations (0: never).")
  sample_every: int = config_field(250, "Steps between sample grids (0: never).")
  log_every: int = config_field(50, "Steps between TensorBoard scalars.")
  eval_batches: int = config_field(0, "Test batches per evaluation (0: all).")
  patience: int = config_field(
      0, "Stop after this many evaluations without a better test bits/dim (0: never).")
  temperatures: tuple[float, ...] = config_field(
      (0.0, 0.5, 0.7, 1.0), "Sample-grid temperatures, e.g. 0,0.5,0.7,1.")
  num_samples: int = config_field(64, "Images per sample grid.")
  conditional: bool = config_field(
      False, "Condition the model on the dataset's labels (classes or attributes).")
  xla: bool | None = config_field(
      None, "Compile the training step with XLA (default: on for small models on CPU, where it is faster, off "
      "otherwise; --noxla turns it off).")
  intra_op_threads: int = config_field(0, "Threads each op may use (0: TensorFlow's choice, one per core).")
  inter_op_threads: int = config_field(0, "Ops run at once (0: TensorFlow's choice).")
  strategy: str = config_field(
      "auto", "tf.distribute strategy. auto: the cluster in TF_CONFIG if there is one, else all local GPUs, else "
      "one device; mirrored: all local GPUs (or logical CPUs); multi_worker: the cluster in TF_CONFIG.",
      STRATEGIES)
  init_batch_size: int = config_field(256, "Images for ActNorm's data-dependent initialisation.")
  max_nonfinite_steps: int = config_field(20, "Stop after this many consecutive non-finite steps.")

  def __post_init__(self):
    object.__setattr__(self, "temperatures", tuple(float(t) for t in self.temperatures))
    positive = ("batch_size", "steps", "checkpoint_every", "log_every", "init_batch_size", "max_nonfinite_steps",
                "num_samples")
    for name in positive:
      value = getattr(self, name)
      if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}.")
    for name in ("warmup_steps", "eval_every", "sample_every", "eval_batches", "patience", "intra_op_threads",
                 "inter_op_threads"):
      value = getattr(self, name)
      if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}.")
    if not self.learning_rate > 0:
      raise ValueError(f"learning_rate must be positive, got {self.learning_rate!r}.")
    if isinstance(self.ema_decay, bool) or not isinstance(self.ema_decay, (int, float)) \
        or not 0 <= self.ema_decay < 1:
      raise ValueError(f"ema_decay must be in [0, 1) (0: no averaging), got {self.ema_decay!r}.")
    if not self.weight_decay >= 0:
      raise ValueError(f"weight_decay must be >= 0 (0: none), got {self.weight_decay!r}.")
    if not self.clip_gradient_norm >= 0:
      raise ValueError(f"clip_gradient_norm must be >= 0 (0 disables clipping), got {self.clip_gradient_norm!r}.")
    check_config_choices(self)
    if not self.temperatures or any(t < 0 for t in self.temperatures):
      raise ValueError(f"temperatures must be one or more values >= 0, got {self.temperatures!r}.")
    if self.patience and not self.eval_every:
      raise ValueError("patience counts evaluations: it needs eval_every > 0.")
    if not self.model_dir:
      raise ValueError("model_dir must name a directory.")

  def to_json(self) -> str:
    return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)
