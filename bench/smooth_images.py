"""Writes a folder of smooth 64x64 RGB images for `train.py --dataset=folder:DIR`: a stand-in for CelebA here.

    python bench/smooth_images.py /tmp/smooth64

CelebA cannot be downloaded on the machines the benches run on. What a bench of a trained CelebA-shaped model
needs is images with CelebA's shape and a trained flow's conditioning, not faces: these are scikit-learn's
digits, upscaled to 64x64 (smooth, as faces are at that size) and tinted with a random colour each.
"""

import argparse
import os

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits


def main():
  parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("directory")
  parser.add_argument("--size", type=int, default=64)
  parser.add_argument("--seed", type=int, default=0)
  args = parser.parse_args()
  os.makedirs(args.directory, exist_ok=True)
  rng = np.random.default_rng(args.seed)
  for index, digit in enumerate(load_digits().images):
    gray = Image.fromarray(np.uint8(digit * 255 / 16)).resize((args.size, args.size), Image.BICUBIC)
    tint = rng.uniform(0.3, 1.0, size=3)
    background = rng.uniform(0.0, 0.3, size=3)
    level = np.asarray(gray, np.float32)[..., None] / 255
    rgb = 255 * (background + (tint - background) * level)
    Image.fromarray(np.uint8(np.clip(rgb, 0, 255))).save(os.path.join(args.directory, f"{index:04d}.png"))
  print(f"{index + 1} images of {args.size}x{args.size}x3 in {args.directory}")


if __name__ == "__main__":
  main()
