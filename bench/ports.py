"""The two PyTorch Glow ports users pick instead of glow_tf, behind one numpy interface, so that a benchmark can
train and score them with the same data and the same evaluator as glow_tf.

Their code is never copied here: each port's model.py is imported from a checkout the user names, as it is.

    pip install -r requirements.txt -r bench/requirements.txt   # torch, and scipy for rosinality's LU 1x1 conv
    git clone https://github.com/rosinality/glow-pytorch /tmp/rosinality
    git clone https://github.com/y0ast/Glow-PyTorch /tmp/y0ast

    model = PortModel("y0ast", "/tmp/y0ast", (32, 32, 3), levels=3, steps_per_level=8, hidden_channels=512,
                      steps_per_epoch=782)

Images go in as glow_tf's model space: NHWC float32 in [-0.5, 0.5), already dequantised (`bin / n_bins - 0.5` plus
U(0, 1/n_bins)) by the caller. Neither port adds noise of its own here, so every implementation sees the same noisy
pixels, and `log_prob` is the continuous density of exactly those pixels, which one shared evaluator turns into
bits/dim as (-log_prob + D log n_bins) / (D log 2).
"""

import importlib.util
import math
import os
import sys
import warnings

import numpy as np
import torch

PORTS = ("rosinality", "y0ast")
# y0ast's train.py: warm-up epochs (--warmup, line 410-416), Adamax learning rate (--lr, line 409).
Y0AST_WARMUP_EPOCHS, Y0AST_LR = 5, 5e-4
ROSINALITY_LR = 1e-4  # rosinality's train.py --lr, line 34.


def _import_model(port, checkout):
  """A fresh copy of the port's model.py under a private name, so that two models never share module state (the
  coupling width patched into rosinality's defaults). y0ast's model.py imports its siblings `modules` and `utils`
  by plain name: they are found on the checkout only while it imports, and whatever modules of those names the
  caller had are put back."""
  siblings = ("modules", "utils") if port == "y0ast" else ()
  saved = {name: sys.modules.pop(name) for name in siblings if name in sys.modules}
  sys.path.insert(0, checkout)
  try:
    spec = importlib.util.spec_from_file_location(f"_{port}_glow_model", os.path.join(checkout, "model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
  finally:
    sys.path.remove(checkout)
    for name in siblings:
      sys.modules.pop(name, None)
    sys.modules.update(saved)
  return module


class PortModel:
  """One port's Glow with its own training recipe; numpy NHWC in, numpy out."""

  def __init__(self, port, checkout, image_shape, levels, steps_per_level, hidden_channels, affine=True, lu=True,
               learn_top=True, n_bins=256, seed=0, steps_per_epoch=None, threads=2):
    if port not in PORTS:
      raise ValueError(f"port must be one of {PORTS}, not {port!r}")
    if not os.path.isfile(os.path.join(checkout, "model.py")):
      raise ValueError(f"{checkout} holds no model.py: pass a checkout of the {port} repository")
    height, width, channels = image_shape
    if height % 2**levels or width % 2**levels:
      raise ValueError(f"{height}x{width} does not squeeze {levels} times")
    torch.set_num_threads(threads)
    self.name, self.image_shape, self.n_bins = port, tuple(image_shape), n_bins
    self.num_dims = height * width * channels
    self._steps, self._initialized = 0, False
    module = _import_model(port, os.path.abspath(checkout))
    # Both ports draw their initial weights from the global RNGs (rosinality's LU 1x1 convolution from numpy's):
    # seed them for this model alone and leave the caller's streams where they were.
    numpy_state = np.random.get_state()
    try:
      with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # y0ast's torch.qr / torch.lu deprecations.
        torch.manual_seed(seed)
        np.random.seed(seed)
        if port == "rosinality":
          self._build_rosinality(module, channels, levels, steps_per_level, hidden_channels, affine, lu, learn_top)
        else:
          self._build_y0ast(module, image_shape, levels, steps_per_level, hidden_channels, affine, lu, learn_top,
                            steps_per_epoch)
    finally:
      np.random.set_state(numpy_state)

  def _build_rosinality(self, module, channels, levels, steps, hidden, affine, lu, learn_top):
    if not learn_top:
      raise ValueError("rosinality's top prior is always learned (Block with split=False, model.py)")
    # Its Flow never passes a width to AffineCoupling (model.py: filter_size=512 default); set the default on this
    # private copy of the module instead. Note its last level always uses the LU 1x1 convolution, whatever `lu`.
    module.AffineCoupling.__init__.__defaults__ = (hidden, True)
    self.model = module.Glow(channels, steps, levels, affine=affine, conv_lu=lu)
    # train.py line 173: Adam at --lr 1e-4; lines 134-136: its warm-up is commented out, the rate stays constant.
    self.optimizer = torch.optim.Adam(self.model.parameters(), lr=ROSINALITY_LR)
    self.scheduler = None

  def _build_y0ast(self, module, image_shape, levels, steps, hidden, affine, lu, learn_top, steps_per_epoch):
    if not steps_per_epoch:
      raise ValueError("y0ast's warm-up counts epochs: pass steps_per_epoch")
    self._gaussian_likelihood = module.gaussian_likelihood
    # train.py lines 130-142 with its defaults: actnorm_scale 1.0, flow_permutation "invconv"; y_classes is
    # unused without y_condition.
    self.model = module.Glow(tuple(image_shape), hidden, steps, levels, 1.0, "invconv",
                             "affine" if affine else "additive", lu, 0, learn_top, False)
    # train.py line 145: Adamax with weight decay 5e-5; lines 147-148 and 278: LambdaLR min(1, (epoch + 1) / warmup)
    # stepped once per epoch, so the rate climbs in whole-epoch stairs from lr/5, not from zero as --warmup's help
    # says. Lines 167-170 clip only for max_grad_clip / max_grad_norm > 0, and both default to 0 (lines 376-388).
    self.optimizer = torch.optim.Adamax(self.model.parameters(), lr=Y0AST_LR, weight_decay=5e-5)
    self.scheduler = torch.optim.lr_scheduler.LambdaLR(
        self.optimizer, lambda epoch: min(1.0, (epoch + 1) / Y0AST_WARMUP_EPOCHS))
    self.steps_per_epoch = steps_per_epoch

  def _tensor(self, x):
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 4 or tuple(x.shape[1:]) != self.image_shape:
      raise ValueError(f"expected images [B, {', '.join(map(str, self.image_shape))}], got {list(x.shape)}")
    return torch.from_numpy(x.transpose(0, 3, 1, 2).copy())  # A copy: torch wants writable, contiguous memory.

  def _log_density(self, x):
    """Nats [B] of x under the port's flow and priors, with gradients, calling only the port's own modules."""
    if self.name == "rosinality":
      # Its Glow.forward is already the bare density: calc_loss (train.py lines 82-93) adds -log(n_bins) * D and
      # train.py lines 116-127 add the noise, both outside the model.
      log_p, logdet, _ = self.model(x)
      return log_p + logdet
    # y0ast's Glow.normal_flow (model.py lines 271-289) starts with uniform_binning_correction (utils.py lines
    # 19-35), which adds U(0, 1/256) noise to x in place and starts the objective at -log(256) * D, 256 whatever
    # the data's bits. The rest of normal_flow, without that call, is the density of x itself.
    z, objective = self.model.flow(x, logdet=torch.zeros(x.shape[0]), reverse=False)
    mean, logs = self.model.prior(x, None)
    return objective + self._gaussian_likelihood(mean, logs, z)

  def initialize(self, x):
    """The data-dependent ActNorm initialisation, from the batch x, as the port's train.py does it: rosinality's
    from the first training batch, with no update on it (train.py lines 118-124); y0ast's from one call on
    n_init_batches (default 8) training batches at once, in training mode (train.py lines 251-272, 419-423), so
    pass it that many images. Both ports initialise on their first forward call; this makes that call explicit."""
    self.model.train()
    with torch.no_grad():
      self._log_density(self._tensor(x))
    self._initialized = True

  def _require_initialized(self):
    # rosinality would quietly initialise on whatever batch came first, y0ast refuses in eval mode: make both fail.
    if not self._initialized:
      raise RuntimeError(f"{self.name}: call initialize() on a first batch before training or scoring")

  def train_step(self, x):
    """One update on the dequantised batch x; the mean bits/dim of x before the update."""
    self._require_initialized()
    self.model.train()
    nats = self._log_density(self._tensor(x))
    # rosinality's calc_loss (train.py lines 82-93, with the image's own D for its image_size**2 * 3) and y0ast's bpd
    # (model.py lines 274-287, with this n_bins for its fixed 256) are both this; the constant moves no gradient.
    loss = ((-nats + math.log(self.n_bins) * self.num_dims) / (math.log(2.0) * self.num_dims)).mean()
    self.optimizer.zero_grad()
    loss.backward()
    self.optimizer.step()
    self._steps += 1
    if self.scheduler is not None and self._steps % self.steps_per_epoch == 0:
      self.scheduler.step()
    return loss.item()

  def log_prob(self, x):
    """float64 [B]: the continuous log-density in nats of the model-space images x, in eval mode."""
    self._require_initialized()
    self.model.eval()
    with torch.no_grad():
      return self._log_density(self._tensor(x)).double().numpy()

  def steps_done(self):
    return self._steps
