"""celeb_a read from CelebA's original files, in the authors' layout and the Kaggle mirror's, and their bad cases."""

import os
import random
import shutil
import socket
from unittest import mock

import numpy as np
import pytest

from glow_tf import data
from glow_tf.data import celeb_a_files
from glow_tf.data.tfds_datasets import CELEB_A_ATTRIBUTES
from tests.data.helpers import write_celeb_a_files

SPLIT_PARTITIONS = {"train": 0, "validation": 1, "test": 2}


def examples(data_dir, split, image_size=16):
  return list(data.load_pixels("celeb_a", split, image_size=image_size, data_dir=str(data_dir)).as_numpy_iterator())


@pytest.mark.parametrize("layout", ["authors", "kaggle"])
def test_both_layouts_give_the_official_partitions_with_attributes_in_label_order(tmp_path, layout):
  # A header in another order than tfds's: the labels still follow CELEB_A_ATTRIBUTES.
  shuffled = random.Random(0).sample(CELEB_A_ATTRIBUTES, len(CELEB_A_ATTRIBUTES))
  expected = write_celeb_a_files(tmp_path, layout, header_order=shuffled)
  with mock.patch.object(socket, "create_connection", side_effect=AssertionError("tried the network")):
    for split, partition in SPLIT_PARTITIONS.items():
      wanted = [(i, labels) for i, (name, (p, labels)) in enumerate(sorted(expected.items())) if p == partition]
      got = examples(tmp_path, split)
      assert len(got) == len(wanted)
      for example, (index, labels) in zip(got, wanted):
        assert example["image"].shape == (16, 16, 3) and example["image"].dtype == np.uint8
        # Only the central 148x148 square (grey 40 * index) is kept: no black border after the crop.
        np.testing.assert_allclose(example["image"], 40 * index, atol=3)
        np.testing.assert_array_equal(example["label"], labels)
  assert len(examples(tmp_path, "all")) == len(expected)


def test_a_missing_list_is_named(tmp_path):
  write_celeb_a_files(tmp_path, "authors")
  os.remove(tmp_path / "Eval" / "list_eval_partition.txt")
  with pytest.raises(celeb_a_files.CelebAFilesError, match="but not list_eval_partition"):
    examples(tmp_path, "train")


def test_lists_that_disagree_with_each_other_or_the_images_are_refused(tmp_path):
  write_celeb_a_files(tmp_path, "kaggle")
  partitions = tmp_path / "list_eval_partition.csv"
  partitions.write_text(partitions.read_text().replace("000006.jpg,2\n", ""))
  with pytest.raises(celeb_a_files.CelebAFilesError, match="1 images are not in .*list_eval_partition.csv.*000006"):
    examples(tmp_path, "train")

  shutil.rmtree(tmp_path)
  write_celeb_a_files(tmp_path, "authors")
  os.remove(tmp_path / "Img" / "img_align_celeba" / "000002.jpg")
  with pytest.raises(celeb_a_files.CelebAFilesError, match="1 of the 6 images .* are not in .*000002.jpg.*extracted"):
    examples(tmp_path, "train")


@pytest.mark.parametrize("edit, message", [
    (lambda text: text.replace("6\n", "7\n", 1), "says it lists 7 images but lists 6"),
    (lambda text: text.replace("Smiling", "Grinning"), "not CelebA's 40"),
    (lambda text: text.replace("000003.jpg -1", "000003.jpg 0"), "values of 1 or -1; found .000003.jpg 0"),
])
def test_a_malformed_attribute_list_is_refused(tmp_path, edit, message):
  write_celeb_a_files(tmp_path, "authors")
  path = tmp_path / "Anno" / "list_attr_celeba.txt"
  path.write_text(edit(path.read_text()))
  with pytest.raises(celeb_a_files.CelebAFilesError, match=message):
    examples(tmp_path, "train")


def test_a_corrupt_jpeg_is_skipped(tmp_path):
  write_celeb_a_files(tmp_path, "authors")
  path = tmp_path / "Img" / "img_align_celeba" / "000001.jpg"
  path.write_bytes(path.read_bytes()[:200])
  assert len(examples(tmp_path, "train")) == 2  # Of 3.


def test_an_unknown_split_names_the_ones_there_are(tmp_path):
  write_celeb_a_files(tmp_path, "kaggle")
  with pytest.raises(ValueError, match="Unknown split 'train.:50%.' .*'train', 'validation', 'test', 'all'"):
    examples(tmp_path, "train[:50%]")


def test_with_neither_a_prepared_copy_nor_the_files_the_error_names_both(tmp_path):
  with mock.patch.object(socket, "create_connection", side_effect=OSError("unreachable")):
    with pytest.raises(data.DatasetUnavailableError) as raised:
      examples(tmp_path, "train")
  message = str(raised.value)
  assert "tfds build celeb_a" in message
  assert "CelebA's original files" in message and "list_attr_celeba.txt" in message and "Kaggle" in message


def test_the_lists_are_parsed_once_per_process_and_again_when_they_change(tmp_path):
  write_celeb_a_files(tmp_path, "kaggle")
  with mock.patch.object(celeb_a_files, "_attributes", wraps=celeb_a_files._attributes) as parse:
    examples(tmp_path, "train")
    examples(tmp_path, "test")
    assert parse.call_count == 1
    partitions = tmp_path / "list_eval_partition.csv"
    partitions.write_text(partitions.read_text().replace("000006.jpg,2\n", ""))
    os.utime(partitions, ns=(0, os.stat(partitions).st_mtime_ns + 10**9))  # A later time, even on a coarse clock.
    with pytest.raises(celeb_a_files.CelebAFilesError, match="000006"):
      examples(tmp_path, "train")
    assert parse.call_count == 2
