"""Every Glow layer as a `tfp.bijectors.Bijector`: `forward` generates (latent -> image), `inverse` encodes."""

from glow_tf.bijectors.actnorm import ActNorm
from glow_tf.bijectors.affine_coupling import AffineCoupling
from glow_tf.bijectors.channel_permutation import ReversedChannels, ShuffledChannels
from glow_tf.bijectors.dense_1x1_conv import Dense1x1Conv
from glow_tf.bijectors.flow_step import FlowStep
from glow_tf.bijectors.image_shape import ExpectImageShape
from glow_tf.bijectors.invertible_1x1_conv import Invertible1x1Conv
from glow_tf.bijectors.lu_1x1_conv import LUDecomposed1x1Conv
from glow_tf.bijectors.mixings import make_invertible_1x1_conv
from glow_tf.bijectors.on_staying_half import OnStayingHalf
from glow_tf.bijectors.split_prior import SplitPrior
from glow_tf.bijectors.squeeze import Squeeze
from glow_tf.bijectors.top_prior import TopPrior
