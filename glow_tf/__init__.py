"""glow_tf: Glow (Kingma & Dhariwal 2018) as TensorFlow Probability bijectors and distributions.

Where things are:
  model.py, model_config.py    `Glow`, the layers chained into a TFP distribution; `GlowConfig`
  bijectors/                   the layers, one per file: `ActNorm`, the 1x1 mixings (`LUDecomposed1x1Conv`,
                               `Dense1x1Conv`, `ShuffledChannels`, `ReversedChannels`), `AffineCoupling` (affine and
                               additive), `Squeeze`, `SplitPrior`, `TopPrior`, `FlowStep`
  passes/                      the walk over a chain's layers and the passes made of it: data-dependent
                               initialisation, invertible backprop
  data/                        datasets (tfds, CelebA's original files, your folders, digits) and the input pipeline
  training/                    `TrainConfig`, the presets, the strategy, the trainer, the loop, checkpoints, the best
                               model
  loading.py, export.py        a model back from a run or a SavedModel; the SavedModel export
  evaluator.py                 what each `evaluate.py` mode does, over latent_space.py (encoding, interpolation,
                               manipulation) and scoring.py (bits/dim over dequantisation draws)
  ../bench/                    the benchmarks and their latest results (bench/README.md)
"""

from glow_tf.lazy_exports import lazy_exports

_MODULES = {
    "Glow": "glow_tf.model",
    "GlowConfig": "glow_tf.model_config",
    "bits_per_dim": "glow_tf.pixels",
    "load_model": "glow_tf.loading",
    "postprocess": "glow_tf.pixels",
    "preprocess": "glow_tf.pixels",
}
__all__ = list(_MODULES)
__getattr__, __dir__ = lazy_exports(__name__, _MODULES)
