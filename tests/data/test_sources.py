"""`load_dataset` on every kind of source, and its `DataError` messages."""

import gzip
import os

import keras
import numpy as np
import pytest
from PIL import Image

from kerasreg.data import DataError, Dataset, load_dataset
from tests.data.tiny_data import (
    CIFAR10_CLASSES,
    assert_images_match,
    make_tar,
    write_cifar_batches,
    write_image_tree,
)


def check_dataset(data, expected):
    assert isinstance(data, Dataset)
    for split in ("train", "test"):
        x, y = getattr(data, f"x_{split}"), getattr(data, f"y_{split}")
        assert x.dtype == np.uint8 and x.ndim == 4
        assert y.dtype == np.int64 and y.shape == (len(x),)
        np.testing.assert_array_equal(y, expected[f"y_{split}"])
        lossy = expected.get(f"lossy_{split}", np.zeros(len(x), bool))
        assert_images_match(x, expected[f"x_{split}"], lossy)
    assert data.input_shape == expected["x_train"].shape[1:]


def one_line_error(excinfo, *fragments):
    message = str(excinfo.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


# --- cifar-10-batches-py ----------------------------------------------------


def test_cifar_batches_folder(tmp_path):
    expected = write_cifar_batches(tmp_path / "cifar-10-batches-py")
    data = load_dataset(tmp_path / "cifar-10-batches-py", cache_dir=tmp_path / "cache")
    check_dataset(data, expected)
    assert len(data.x_train) == 20 and len(data.x_test) == 6
    assert data.class_names == CIFAR10_CLASSES
    assert data.num_classes == 10 and data.input_shape == (32, 32, 3)
    assert data.source == str((tmp_path / "cifar-10-batches-py").resolve())


def test_cifar_batches_archive_and_keras_wrapper_folder(tmp_path):
    expected = write_cifar_batches(tmp_path / "src")
    # cifar-10-python.tar.gz holds cifar-10-batches-py/ at its top.
    archive = make_tar(tmp_path / "src", tmp_path / "cifar-10-python.tar.gz", "cifar-10-batches-py")
    check_dataset(load_dataset(str(archive), cache_dir=tmp_path / "cache"), expected)
    # keras keeps it as cifar-10-batches-py-target/cifar-10-batches-py.
    wrapper = tmp_path / "cifar-10-batches-py-target"
    wrapper.mkdir()
    (tmp_path / "src").rename(wrapper / "cifar-10-batches-py")
    check_dataset(load_dataset(wrapper, cache_dir=False), expected)


def test_corrupt_cifar_batch(tmp_path):
    write_cifar_batches(tmp_path / "batches")
    (tmp_path / "batches" / "data_batch_3").write_bytes(b"not a pickle")
    with pytest.raises(DataError) as excinfo:
        load_dataset(tmp_path / "batches", cache_dir=False)
    one_line_error(excinfo, "Cannot read the CIFAR batch", "data_batch_3", "expected a pickled dict")


# --- image-folder trees -----------------------------------------------------


def test_image_folder(tmp_path):
    expected = write_image_tree(tmp_path / "pets")
    data = load_dataset(tmp_path / "pets", cache_dir=tmp_path / "cache")
    check_dataset(data, expected)
    assert data.class_names == ("ant", "cat", "dog")  # sorted folder names
    assert data.input_shape == (5, 6, 3)  # height, width, channels
    assert len(data.x_train) == 9 and len(data.x_test) == 6


def test_image_folder_archive_with_top_folder(tmp_path):
    expected = write_image_tree(tmp_path / "pets")
    for name in ("pets.tar.gz", "pets.tgz"):
        archive = make_tar(tmp_path / "pets", tmp_path / name, "pets-jpeg")
        data = load_dataset(archive, cache_dir=tmp_path / "cache")
        check_dataset(data, expected)
        assert data.class_names == ("ant", "cat", "dog")
    assert sorted(os.listdir(tmp_path / "cache")) == sorted(
        name for name in os.listdir(tmp_path / "cache") if name.endswith(".npz")
    )


def test_image_folder_grayscale_and_test_subset_of_classes(tmp_path):
    root = tmp_path / "digits"
    rng = np.random.default_rng(1)
    for split, classes in (("train", "abc"), ("test", "ac")):
        for name in classes:
            (root / split / name).mkdir(parents=True)
            Image.fromarray(rng.integers(0, 256, (4, 4), dtype=np.uint8)).save(root / split / name / "0.png")
    data = load_dataset(root, cache_dir=False)
    assert data.input_shape == (4, 4, 1)
    assert data.class_names == ("a", "b", "c")
    np.testing.assert_array_equal(data.y_test, [0, 2])
    # One colour image makes the whole set RGB, grey images repeated over channels.
    Image.fromarray(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)).save(root / "test" / "c" / "1.png")
    data = load_dataset(root, cache_dir=False)
    assert data.input_shape == (4, 4, 3)
    grey = data.x_train[0]
    assert (grey[..., 0] == grey[..., 1]).all() and (grey[..., 0] == grey[..., 2]).all()


def test_image_folder_of_mixed_sizes(tmp_path):
    write_image_tree(tmp_path / "pets")
    Image.fromarray(np.zeros((9, 7, 3), np.uint8)).save(tmp_path / "pets" / "test" / "cat" / "odd.png")
    with pytest.raises(DataError) as excinfo:
        load_dataset(tmp_path / "pets", cache_dir=False)
    one_line_error(excinfo, "odd.png", "is 7x9 pixels", "is 6x5", "expected all images to have one size")


def test_image_folder_errors(tmp_path):
    write_image_tree(tmp_path / "no-test", counts={"train": 2})
    with pytest.raises(DataError) as excinfo:
        load_dataset(tmp_path / "no-test", cache_dir=False)
    one_line_error(excinfo, str(tmp_path / "no-test"), "has no test/ split", "train/<class>/")

    write_image_tree(tmp_path / "empty", counts={"train": 2})
    (tmp_path / "empty" / "test" / "cat").mkdir(parents=True)
    (tmp_path / "empty" / "test" / "cat" / "readme.txt").write_text("nothing")
    with pytest.raises(DataError) as excinfo:
        load_dataset(tmp_path / "empty", cache_dir=False)
    one_line_error(excinfo, str(tmp_path / "empty" / "test"), "holds no images")

    write_image_tree(tmp_path / "extra")
    (tmp_path / "extra" / "test" / "zebra").mkdir()
    Image.fromarray(np.zeros((5, 6, 3), np.uint8)).save(tmp_path / "extra" / "test" / "zebra" / "z.png")
    with pytest.raises(DataError) as excinfo:
        load_dataset(tmp_path / "extra", cache_dir=False)
    one_line_error(excinfo, "zebra", "expected the test classes to be train classes")

    write_image_tree(tmp_path / "broken")
    (tmp_path / "broken" / "train" / "dog" / "0000.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(DataError) as excinfo:
        load_dataset(tmp_path / "broken", cache_dir=False)
    one_line_error(excinfo, "Cannot decode the image", str(tmp_path / "broken" / "train" / "dog" / "0000.png"))


def test_errors_inside_an_archive_name_the_member(tmp_path):
    write_image_tree(tmp_path / "pets")
    (tmp_path / "pets" / "train" / "dog" / "0000.png").write_bytes(b"\x89PNG broken")
    archive = make_tar(tmp_path / "pets", tmp_path / "pets.tar.gz", "pets")
    with pytest.raises(DataError) as excinfo:
        load_dataset(archive, cache_dir=tmp_path / "cache")
    one_line_error(excinfo, f"{archive}:pets/train/dog/0000.png")
    assert not (tmp_path / "cache").exists()  # nothing cached, nothing extracted


# --- npz ----------------------------------------------------------------------


def test_npz(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (7, 4, 4, 3), dtype=np.uint8),
        "y_train": rng.integers(0, 3, (7, 1)),  # keras.datasets style (n, 1)
        "x_test": rng.integers(0, 256, (2, 4, 4, 3), dtype=np.uint8),
        "y_test": np.array([0, 2], dtype=np.int32),
    }
    np.savez(tmp_path / "small.npz", **arrays)
    data = load_dataset(str(tmp_path / "small.npz"))
    np.testing.assert_array_equal(data.x_train, arrays["x_train"])
    np.testing.assert_array_equal(data.y_train, arrays["y_train"][:, 0])
    assert data.y_test.dtype == np.int64
    assert data.class_names == ("0", "1", "2")
    np.savez(tmp_path / "named.npz", **arrays, class_names=np.array(["a", "b", "c", "d"]))
    assert load_dataset(tmp_path / "named.npz").num_classes == 4


def test_npz_grayscale_gets_a_channel_axis(tmp_path):
    np.savez(
        tmp_path / "grey.npz",
        x_train=np.zeros((3, 5, 5), np.uint8),
        y_train=[0, 1, 0],
        x_test=np.zeros((1, 5, 5), np.uint8),
        y_test=[1],
    )
    assert load_dataset(tmp_path / "grey.npz").input_shape == (5, 5, 1)


def test_npz_errors(tmp_path):
    np.savez(tmp_path / "partial.npz", x_train=np.zeros((2, 4, 4, 3), np.uint8), y_train=[0, 1])
    with pytest.raises(DataError) as excinfo:
        load_dataset(tmp_path / "partial.npz")
    one_line_error(
        excinfo, str(tmp_path / "partial.npz"), "lacks x_test, y_test", "arrays x_train, y_train, x_test, y_test"
    )

    (tmp_path / "junk.npz").write_bytes(b"this is not a zip file")
    with pytest.raises(DataError) as excinfo:
        load_dataset(tmp_path / "junk.npz")
    one_line_error(excinfo, "Cannot read", "junk.npz", "as a .npz file")

    np.savez(tmp_path / "floats.npz", x_train=np.ones((2, 4, 4, 3)) / 2, y_train=[0, 1],
             x_test=np.ones((1, 4, 4, 3)) / 2, y_test=[0])  # fmt: skip
    with pytest.raises(DataError) as excinfo:
        load_dataset(tmp_path / "floats.npz")
    one_line_error(excinfo, "x_train must be uint8 images", "float64")

    np.savez(tmp_path / "labels.npz", x_train=np.zeros((2, 4, 4, 3), np.uint8), y_train=[0, 5],
             x_test=np.zeros((1, 4, 4, 3), np.uint8), y_test=[0], class_names=np.array(["a", "b"]))  # fmt: skip
    with pytest.raises(DataError) as excinfo:
        load_dataset(tmp_path / "labels.npz")
    one_line_error(excinfo, "labels in [0, 5]", "2 class names")


# --- names, paths and archives that are wrong -------------------------------


def test_missing_path(tmp_path):
    for missing in (tmp_path / "nowhere", "data/cifar10-jpeg", "cifar.tar.gz"):
        with pytest.raises(DataError) as excinfo:
            load_dataset(missing)
        one_line_error(excinfo, "does not exist", "expected one of 'cifar10', 'fashion_mnist', 'synthetic'")


def test_unknown_source_name():
    with pytest.raises(DataError) as excinfo:
        load_dataset("cifar100")
    one_line_error(
        excinfo,
        "Unknown data source 'cifar100'",
        "'cifar10', 'fashion_mnist', 'synthetic'",
        "cifar-10-batches-py folder",
        "image-folder tree",
        ".npz",
    )


def test_folder_without_a_known_layout(tmp_path):
    (tmp_path / "stuff" / "a").mkdir(parents=True)
    (tmp_path / "stuff" / "b").mkdir()
    with pytest.raises(DataError) as excinfo:
        load_dataset(tmp_path / "stuff")
    one_line_error(excinfo, str(tmp_path / "stuff"), "holds no images", "cifar-10-batches-py", "train/<class>/*")


def test_unreadable_archives(tmp_path):
    (tmp_path / "junk.tar.gz").write_bytes(b"definitely not gzip")
    with gzip.open(tmp_path / "truncated.tgz", "wb") as file:
        file.write(b"\0" * 100)
    write_image_tree(tmp_path / "pets")
    good = make_tar(tmp_path / "pets", tmp_path / "good.tar.gz", "pets").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(good[: len(good) // 2])
    for name in ("junk.tar.gz", "truncated.tgz", "cut.tar.gz"):
        with pytest.raises(DataError) as excinfo:
            load_dataset(tmp_path / name, cache_dir=tmp_path / "cache")
        one_line_error(excinfo, str(tmp_path / name))
        assert "Cannot read the archive" in str(excinfo.value) or "holds no images" in str(excinfo.value)


def test_unsupported_file(tmp_path):
    (tmp_path / "data.csv").write_text("1,2,3")
    with pytest.raises(DataError) as excinfo:
        load_dataset(tmp_path / "data.csv")
    one_line_error(excinfo, "data.csv", "neither a .npz nor a .tar.gz")


# --- keras.datasets -----------------------------------------------------------


def test_keras_dataset(monkeypatch):
    def fake_load_data():
        x = np.zeros((4, 28, 28), np.uint8)
        return (x, np.array([0, 1, 2, 9], np.uint8)), (x[:2], np.array([3, 4], np.uint8))

    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", fake_load_data)
    data = load_dataset("fashion_mnist")
    assert data.input_shape == (28, 28, 1)  # a channel axis
    assert data.class_names[0] == "T-shirt/top" and data.num_classes == 10
    assert data.source == "keras.datasets.fashion_mnist"
    # `builtin` is what `None` (no --data given) loads.
    assert load_dataset(None, builtin="fashion_mnist").source == "keras.datasets.fashion_mnist"


def test_download_failure_says_how_to_pass_data(monkeypatch):
    def offline():
        raise Exception(
            "URL fetch failure on https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz: "
            "None -- [Errno -2] Name or service not known"
        )

    monkeypatch.setattr(keras.datasets.cifar10, "load_data", offline)
    for source in ("cifar10", None):
        with pytest.raises(DataError) as excinfo:
            load_dataset(source)
        one_line_error(
            excinfo,
            "download failed (no network?)",
            "Name or service not known",
            "--data PATH",
            "cifar-10-batches-py folder or its .tar.gz",
            "train/<class>/*",
            ".npz",
            "--data synthetic",
        )


def test_invalid_builtin():
    with pytest.raises(ValueError, match="Invalid value received for argument `builtin`"):
        load_dataset(None, builtin="mnist")


def test_the_source_names_a_config_knows_are_the_ones_load_dataset_reads():
    # The config keeps its own list (it is checked before TensorFlow loads): it must not drift.
    from kerasreg.config.sections import DATA_SOURCE_NAMES
    from kerasreg.data.keras_datasets import KERAS_DATASETS

    assert set(DATA_SOURCE_NAMES) == {*KERAS_DATASETS, "synthetic"}
