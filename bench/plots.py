"""Line charts as PNGs, drawn with PIL: the bench scripts need no plotting library."""

import numpy as np
from PIL import Image, ImageDraw

COLOURS = ((200, 80, 40), (40, 80, 200), (40, 160, 80), (150, 60, 170), (120, 120, 120))


def line_chart(x, curves, path, caption, width=640, height=360, margin=40):
  """Draws each curve of `curves` ({name: y values, one per x}) against `x` into the PNG at `path`."""
  x = np.asarray(x, float)
  values = np.concatenate([np.asarray(y, float) for y in curves.values()])
  low, high = values.min(), values.max()
  image = Image.new("RGB", (width, height), "white")
  draw = ImageDraw.Draw(image)
  to_xy = lambda s, v: (margin + (s - x.min()) / max(np.ptp(x), 1e-9) * (width - 2 * margin),
                        height - margin - (v - low) / max(high - low, 1e-9) * (height - 2 * margin))
  draw.rectangle([margin, margin, width - margin, height - margin], outline="black")
  for (name, y), colour in zip(curves.items(), COLOURS):
    draw.line([to_xy(s, v) for s, v in zip(x, y)], fill=colour, width=2)
    draw.text(to_xy(x[-1], y[-1]), name, fill=colour)
  draw.text((margin, 10), caption.format(low=low, high=high, x_low=x.min(), x_high=x.max()), fill="black")
  image.save(path)
