"""Datasets as pixels and as batches for a Glow model.

```python
from glow_tf import data
info = data.dataset_info("celeb_a", image_size=64)   # shape, pixel levels, labels, default n_bits
config = GlowConfig(image_shape=info.image_shape, pixel_levels=info.pixel_levels, n_bits=info.default_n_bits)
for x in data.make_pipeline("celeb_a", config, batch_size=64):  # dequantised [64, 64, 64, 3], forever
  ...
```

Datasets: `DATASET_NAMES` (read through tensorflow_datasets, except scikit-learn's `digits`), and
`"folder:PATH"` for a directory of your own JPEG/PNG images.
"""

from glow_tf.data.info import Architecture, DatasetInfo, DatasetUnavailableError, ImageSizeError
from glow_tf.data.pipeline import make_pipeline
from glow_tf.data.registry import DATASET_NAMES, dataset_info, load_pixels

__all__ = [
    "Architecture", "DATASET_NAMES", "DatasetInfo", "DatasetUnavailableError", "ImageSizeError", "dataset_info",
    "load_pixels", "make_pipeline",
]
