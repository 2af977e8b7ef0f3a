"""CelebA from its original files, for when tfds's download fails (Google Drive quotas) but the files are at hand.

Two layouts are read, found anywhere up to two folders below the data directory:
- the authors' (their Google Drive): `img_align_celeba/` JPEGs, `list_attr_celeba.txt` (a count line, a line
  of the 40 attribute names, then one `000001.jpg -1 1 ...` row per image) and `list_eval_partition.txt`
  (`000001.jpg 0` rows: 0 train, 1 validation, 2 test), often in `Img/`, `Anno/` and `Eval/`;
- the Kaggle mirror's: the same names with `.csv` (an `image_id,...` header, comma-separated rows), the images
  one folder deeper, in `img_align_celeba/img_align_celeba/`.

Every image the two lists name must be in the image folder and both lists must name the same images, or
`CelebAFilesError` says which differ; images the lists do not name are ignored. A JPEG that cannot be decoded
is skipped with a warning in the log, so one bad file does not stop a long run.
"""

import csv
import dataclasses
import functools
import os

import numpy as np
import tensorflow as tf

from glow_tf.data.info import DatasetUnavailableError

IMAGE_FOLDER = "img_align_celeba"
ATTRIBUTE_LIST = "list_attr_celeba"
PARTITION_LIST = "list_eval_partition"
LIST_FORMATS = (".txt", ".csv")
PARTITIONS = {"train": 0, "validation": 1, "test": 2}
SPLITS = (*PARTITIONS, "all")
# How deep below the data directory the files are looked for: DIR/celeba/Anno/list_attr_celeba.txt is 2.
SEARCH_DEPTH = 2


class CelebAFilesError(DatasetUnavailableError):
  """CelebA's original files are there but do not fit together."""


@dataclasses.dataclass(frozen=True)
class CelebAFiles:
  """Where one copy of CelebA's original files is."""

  image_folder: str
  attribute_list: str
  partition_list: str


def find(data_dir):
  """The `CelebAFiles` under `data_dir`, None if it holds none of them, or an error naming what is missing."""
  data_dir = data_dir and os.path.normpath(os.path.expanduser(data_dir))
  if not data_dir or not os.path.isdir(data_dir):
    return None
  found = {}
  root_depth = data_dir.count(os.sep)
  for directory, subdirectories, files in os.walk(data_dir):
    if IMAGE_FOLDER in subdirectories:
      found.setdefault(IMAGE_FOLDER, _innermost_image_folder(os.path.join(directory, IMAGE_FOLDER)))
    for name in (ATTRIBUTE_LIST, PARTITION_LIST):
      for extension in LIST_FORMATS:
        if name + extension in files:
          found.setdefault(name, os.path.join(directory, name + extension))
    # Never into the image folder (200,000 files) nor deeper than the layouts go.
    subdirectories[:] = [d for d in subdirectories
                         if d != IMAGE_FOLDER and directory.count(os.sep) - root_depth < SEARCH_DEPTH]
  if not found:
    return None
  missing = [name for name in (IMAGE_FOLDER, ATTRIBUTE_LIST, PARTITION_LIST) if name not in found]
  if missing:
    raise CelebAFilesError(
        f"{data_dir} holds some of CelebA's original files but not {', '.join(missing)}: CelebA needs the "
        f"{IMAGE_FOLDER}/ JPEGs, {ATTRIBUTE_LIST}.txt (or .csv) and {PARTITION_LIST}.txt (or .csv).")
  return CelebAFiles(found[IMAGE_FOLDER], found[ATTRIBUTE_LIST], found[PARTITION_LIST])


def load(files, split, attribute_names, prepare_image):
  """Unbatched `{'image': uint8, 'label': float32 multi-hot [40]}` of `split`, in file-name order.

  Args:
    files: a `CelebAFiles`.
    split: 'train', 'validation', 'test' (the official partitions) or 'all'.
    attribute_names: the label order: CelebA's 40 attributes as tfds names them.
    prepare_image: uint8 [218, 178, 3] -> the image delivered (the crop and resize).
  """
  if split not in SPLITS:
    raise ValueError(f"Unknown split {split!r} for CelebA's original files; choose one of "
                     f"{', '.join(map(repr, SPLITS))}.")
  image_ids, attributes, partitions = _read_lists(files, tuple(attribute_names))
  chosen = [i for i, image_id in enumerate(image_ids) if split == "all" or partitions[image_id] == PARTITIONS[split]]
  paths = [os.path.join(files.image_folder, image_ids[i]) for i in chosen]

  def decode(path, label):
    image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
    return {"image": prepare_image(image), "label": label}

  dataset = tf.data.Dataset.from_tensor_slices((paths, attributes[chosen]))
  return dataset.map(decode, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors(log_warning=True)


def _read_lists(files, attribute_names):
  """(image ids, attributes, {image id: partition}) of `files`, checked against each other and the image folder.

  A run reads them for its training split, its test split and its sample labels: parsed once per process (about
  2 s for CelebA's 202,599 rows), again only if a list or the image folder changes.
  """
  paths = (files.attribute_list, files.partition_list, files.image_folder)
  return _parse_lists(files, attribute_names, tuple(os.stat(path).st_mtime_ns for path in paths))


@functools.lru_cache(maxsize=2)
def _parse_lists(files, attribute_names, modification_times):
  del modification_times  # Only part of the cache's key.
  image_ids, attributes = _attributes(files.attribute_list, attribute_names)
  partitions = _partitions(files.partition_list)
  _check_same_images(files, image_ids, partitions)
  return image_ids, attributes, partitions


def _innermost_image_folder(folder):
  """The Kaggle archive holds img_align_celeba/img_align_celeba/*.jpg; the authors' one level of it."""
  nested = os.path.join(folder, IMAGE_FOLDER)
  return nested if os.path.isdir(nested) else folder


def _rows(path):
  """The rows of a list file as lists of strings: whitespace-separated (.txt) or comma-separated (.csv)."""
  with open(path, newline="") as f:
    if path.endswith(".csv"):
      return [row for row in csv.reader(f) if row]
    return [line.split() for line in f if line.strip()]


def _attributes(path, attribute_names):
  """(image file names, float32 [N, 40] multi-hot in `attribute_names` order) from an attribute list."""
  rows = _rows(path)
  if path.endswith(".csv"):
    header, rows = rows[0][1:], rows[1:]  # The first column is image_id.
  else:
    if not rows or len(rows[0]) != 1 or not rows[0][0].isdigit():
      raise CelebAFilesError(f"{path} should start with a line holding the number of images.")
    count, header, rows = int(rows[0][0]), rows[1] if len(rows) > 1 else [], rows[2:]
    if count != len(rows):
      raise CelebAFilesError(f"{path} says it lists {count} images but lists {len(rows)}: is it cut short?")
  if sorted(header) != sorted(attribute_names):
    raise CelebAFilesError(
        f"{path} names the attributes {header[:3]}... ({len(header)}), not CelebA's {len(attribute_names)}.")
  bad = next((row for row in rows if len(row) != len(header) + 1 or set(row[1:]) - {"1", "-1"}), None)
  if bad is not None:
    raise CelebAFilesError(
        f"{path}: every row is an image file name and {len(header)} values of 1 or -1; found {' '.join(bad)!r}.")
  columns = [header.index(name) + 1 for name in attribute_names]
  values = np.array([[row[c] == "1" for c in columns] for row in rows], np.float32)
  return [row[0] for row in rows], values


def _partitions(path):
  """{image file name: 0, 1 or 2} from a partition list."""
  rows = _rows(path)
  if path.endswith(".csv"):
    rows = rows[1:]  # image_id,partition
  bad = next((row for row in rows if len(row) != 2 or row[1] not in ("0", "1", "2")), None)
  if bad is not None:
    raise CelebAFilesError(f"{path}: every row is an image file name and a partition 0, 1 or 2; found "
                           f"{' '.join(bad)!r}.")
  return {name: int(partition) for name, partition in rows}


def _check_same_images(files, image_ids, partitions):
  listed = set(image_ids)
  for differ, where in ((listed - set(partitions), files.partition_list),
                        (set(partitions) - listed, files.attribute_list)):
    if differ:
      raise CelebAFilesError(
          f"{len(differ)} images are not in {where} but are in the other list, e.g. {min(differ)}: the two "
          f"lists must come from the same copy of CelebA.")
  absent = listed - set(os.listdir(files.image_folder))
  if absent:
    raise CelebAFilesError(
        f"{len(absent)} of the {len(listed)} images that {files.attribute_list} lists are not in "
        f"{files.image_folder}, e.g. {min(absent)}: is the image archive fully extracted?")
