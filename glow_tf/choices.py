"""Every list of choices the configs offer, written once: the configs and the layers check values against these
tuples, and train.py's flags offer them. Imports nothing heavy, so `train.py --help` needs no TensorFlow."""

import dataclasses

# The datasets known by name: scikit-learn's digits, embedded, and the rest through tensorflow_datasets
# (`data.tfds_datasets.SPECS` describes each). Any directory of images is `folder:PATH` besides.
DATASETS = ("digits", "celeb_a", "cifar10", "mnist", "fashion_mnist", "svhn_cropped")
COUPLINGS = ("affine", "additive")
PERMUTATIONS = ("lu", "conv", "shuffle", "reverse")
DTYPES = ("float32", "float64")
# What the coupling networks may compute in besides the model's dtype ("" means the model's dtype).
NETWORK_DTYPES = ("", "bfloat16")
# What a conditional model's labels are: one class id per image, or a multi-hot vector of attributes (CelebA's).
LABEL_KINDS = ("class_ids", "multi_hot")
# How training's backward pass gets each layer's activations: kept from the forward pass; recomputed from each
# layer's stored input (gradient checkpointing at every layer boundary); or recomputed from the input rebuilt
# by inverting the layer above (no activation kept at all).
BACKPROP_MODES = ("stored", "recomputed", "invertible")
OPTIMIZERS = ("adamax", "adam")
# What the learning rate does after its warm-up: fall to 0 at the run's end along a cosine, or stay.
LEARNING_RATE_DECAYS = ("cosine", "none")
STRATEGIES = ("auto", "default", "mirrored", "multi_worker", "tpu")
# Where the defaults of train.py's flags come from: fitted to the dataset, or the paper's (training/presets.py).
PRESETS = ("auto", "paper")
# Which of a run directory's checkpoints to load: the last one saved, or the one with the best test bits/dim.
CHECKPOINTS = ("latest", "best")


def check_choice(name, value, choices):
  """Raises ValueError naming the choices if `value` is not one of them."""
  if value not in choices:
    raise ValueError(f"Unknown {name} {value!r}; choose one of {', '.join(map(repr, choices))}.")


def config_field(default, flag_help=None, choices=None):
  """A config dataclass field with, optionally, the help of the flag made from it (`config_flags`) and the tuple
  of values it may take (checked by `check_config_choices`)."""
  return dataclasses.field(default=default, metadata={"flag_help": flag_help, "choices": choices})


def check_config_choices(config):
  """`check_choice` on every field of the dataclass instance `config` that lists its choices."""
  for field in dataclasses.fields(config):
    if field.metadata.get("choices") is not None:
      check_choice(field.name, getattr(config, field.name), field.metadata["choices"])
