"""glow_tf: Glow (Kingma & Dhariwal 2018) as TensorFlow Probability bijectors and distributions."""

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
