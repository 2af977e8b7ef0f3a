"""glow_tf: Glow (Kingma & Dhariwal 2018) as TensorFlow Probability bijectors and distributions."""

from glow_tf.config import GlowConfig
from glow_tf.model import Glow
from glow_tf.objective import bits_per_dim, postprocess, preprocess

__all__ = ["Glow", "GlowConfig", "bits_per_dim", "postprocess", "preprocess"]
