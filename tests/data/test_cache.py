"""The decoded-array cache: a second load does not decode, writes are atomic."""

import os
import time

import numpy as np
import pytest

from kerasreg.data import cache, cifar_batches, image_folder, load_dataset
from kerasreg.data.file_tree import FileTree
from tests.data.tiny_data import make_tar, write_cifar_batches, write_image_tree


def refuse(*args, **kwargs):
    raise AssertionError("decoded again although the cache holds the arrays")


def assert_same(first, second):
    for name in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))
        assert getattr(first, name).dtype == getattr(second, name).dtype
    assert first.class_names == second.class_names


def test_second_load_of_an_image_folder_does_not_decode(tmp_path, monkeypatch):
    write_image_tree(tmp_path / "pets")
    first = load_dataset(tmp_path / "pets", cache_dir=tmp_path / "cache")
    monkeypatch.setattr(image_folder, "read_image_folder", refuse)
    monkeypatch.setattr(image_folder, "decode_images", refuse)
    assert_same(first, load_dataset(tmp_path / "pets", cache_dir=tmp_path / "cache"))


def test_second_load_of_an_archive_neither_reads_nor_decodes_it(tmp_path, monkeypatch):
    write_cifar_batches(tmp_path / "batches")
    archive = make_tar(tmp_path / "batches", tmp_path / "cifar-10-python.tar.gz", "cifar-10-batches-py")
    first = load_dataset(archive, cache_dir=tmp_path / "cache")
    monkeypatch.setattr(cifar_batches, "read_cifar_batches", refuse)
    monkeypatch.setattr(FileTree, "from_archive", refuse)
    assert_same(first, load_dataset(archive, cache_dir=tmp_path / "cache"))


def test_cache_holds_one_npz_and_no_temporary_files(tmp_path):
    write_image_tree(tmp_path / "pets")
    archive = make_tar(tmp_path / "pets", tmp_path / "pets.tar.gz", "pets")
    for _ in range(2):
        load_dataset(archive, cache_dir=tmp_path / "cache")
        load_dataset(tmp_path / "pets", cache_dir=tmp_path / "cache")
    names = sorted(os.listdir(tmp_path / "cache"))
    assert len(names) == 2, names  # one entry per source, nothing else
    assert all(name.endswith(".npz") and not name.startswith(".") for name in names)
    assert any(name.startswith("archive-pets_tar_gz-") for name in names)
    assert any(name.startswith("image_folder-pets-") for name in names)


def test_failed_write_leaves_no_temporary_file_and_still_loads(tmp_path, monkeypatch):
    write_image_tree(tmp_path / "pets")

    def disk_full(file, **arrays):
        file.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache.np, "savez", disk_full)
    with pytest.warns(UserWarning, match="Could not write the data cache"):
        data = load_dataset(tmp_path / "pets", cache_dir=tmp_path / "cache")
    assert len(data.x_train) == 9
    assert os.listdir(tmp_path / "cache") == []


def test_changed_source_is_decoded_again(tmp_path, monkeypatch):
    write_image_tree(tmp_path / "pets")
    load_dataset(tmp_path / "pets", cache_dir=tmp_path / "cache")
    image = tmp_path / "pets" / "train" / "ant" / "0000.png"
    later = time.time() + 10
    os.utime(image, (later, later))
    calls = []
    original = image_folder.read_image_folder
    monkeypatch.setattr(image_folder, "read_image_folder", lambda tree: calls.append(1) or original(tree))
    load_dataset(tmp_path / "pets", cache_dir=tmp_path / "cache")
    assert calls == [1]
    load_dataset(tmp_path / "pets", cache_dir=tmp_path / "cache")
    assert calls == [1]


def test_damaged_cache_entry_is_decoded_again_and_replaced(tmp_path):
    write_image_tree(tmp_path / "pets")
    first = load_dataset(tmp_path / "pets", cache_dir=tmp_path / "cache")
    (entry,) = (tmp_path / "cache").iterdir()
    entry.write_bytes(entry.read_bytes()[:100])
    assert_same(first, load_dataset(tmp_path / "pets", cache_dir=tmp_path / "cache"))
    assert cache.read_entry(entry) is not None


def test_default_cache_folder(tmp_path, monkeypatch, default_cache):
    write_image_tree(tmp_path / "pets")
    load_dataset(tmp_path / "pets")  # KERASREG_CACHE, set by conftest
    assert len(list(default_cache.glob("image_folder-pets-*.npz"))) == 1
    monkeypatch.delenv("KERASREG_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.default_cache_dir() == tmp_path / "home" / ".cache" / "kerasreg"


def test_cache_can_be_turned_off(tmp_path, monkeypatch, default_cache):
    write_image_tree(tmp_path / "pets")
    calls = []
    original = image_folder.read_image_folder
    monkeypatch.setattr(image_folder, "read_image_folder", lambda tree: calls.append(1) or original(tree))
    load_dataset(tmp_path / "pets", cache_dir=False)
    load_dataset(tmp_path / "pets", cache_dir=False)
    assert calls == [1, 1]
    assert not default_cache.exists()
