"""`load_dataset`: one entry point from a ``--data`` value to a `Dataset`."""

import os
from pathlib import Path

from kerasreg.config.sections import DATA_SOURCE_NAMES
from kerasreg.data import cache, cifar_batches, image_folder, keras_datasets, npz, synthetic
from kerasreg.data.dataset import Dataset
from kerasreg.data.errors import DataError
from kerasreg.data.file_tree import ARCHIVE_SUFFIXES, FileTree, is_archive
from kerasreg.validation import check_choice

SOURCE_NAMES = DATA_SOURCE_NAMES

_FOLDER_LAYOUTS = (
    "a cifar-10-batches-py folder (data_batch_1..5, test_batch) "
    "or an image-folder tree (train/<class>/*, test/<class>/*)"
)
# Wrapper folders followed down to the data: an archive's top folder, or
# keras's cifar-10-batches-py-target/cifar-10-batches-py.
_MAX_WRAPPERS = 3


def load_dataset(
    source,
    *,
    cache_dir=None,
    builtin="cifar10",
    synthetic_examples=512,
    synthetic_shape=(32, 32, 3),
    synthetic_classes=10,
    seed=0,
):
    """Load an image-classification data set from a name or a path.

    ``source`` is one of:

    - ``"cifar10"`` or ``"fashion_mnist"``: `keras.datasets`, which
      downloads once and keeps its own copy; ``None`` means ``builtin``.
      When the download fails, `DataError` says how to pass a local copy.
    - ``"synthetic"``: `synthetic_examples` random images of
      `synthetic_shape` in `synthetic_classes` classes, the same for the
      same ``seed``; a quarter as many test images. The class is in each
      image's colours and their layout, so a tiny CNN beats chance within
      a few steps: a smoke test of a whole training run, no download.
    - a path (str or `os.PathLike`, ``~`` expanded) to
        - a ``cifar-10-batches-py`` folder (CIFAR-10's python release),
        - an image-folder tree ``train/<class>/*``, ``test/<class>/*`` of
          JPEG/PNG files of one size (classes in sorted folder order),
        - a ``.tar.gz``, ``.tgz`` or ``.tar`` archive holding either of
          these, possibly under one top folder,
        - a ``.npz`` with ``x_train``, ``y_train``, ``x_test``, ``y_test``
          and optionally ``class_names``.

    Decoding a folder or an archive happens once: the arrays are cached
    as ``.npz`` under ``cache_dir``, keyed by the source's absolute path,
    sizes and mtimes (see `kerasreg.data.cache`), and later loads read
    the cache. An archive is read in one pass, straight into memory;
    nothing is extracted to disk. A name wins over a folder of the same
    name in the working directory: write ``./cifar10`` for the folder.

    Args:
        source: Name or path, as above.
        cache_dir: Folder of the decoded-array cache; ``None`` for
            ``$KERASREG_CACHE`` or else ``~/.cache/kerasreg``; ``False``
            to decode every time.
        builtin: The `keras.datasets` set loaded when ``source`` is
            ``None``: ``"cifar10"`` or ``"fashion_mnist"``.
        synthetic_examples: Integer >= 1, train images of ``"synthetic"``.
        synthetic_shape: ``(height, width, channels)`` of ``"synthetic"``.
        synthetic_classes: Integer >= 2, classes of ``"synthetic"``.
        seed: Integer >= 0, seed of ``"synthetic"``.

    Returns:
        A `Dataset`.

    Raises:
        DataError: the source does not exist, holds no usable data, is
            damaged, or cannot be downloaded; the message is one line that
            names the source and what was expected.
        ValueError: an argument other than ``source`` is invalid.

    Example:

    >>> from kerasreg.data import load_dataset
    >>> data = load_dataset("synthetic", synthetic_examples=40, synthetic_classes=4)
    >>> data.x_train.shape, data.x_test.shape, data.num_classes, data.input_shape
    ((40, 32, 32, 3), (10, 32, 32, 3), 4, (32, 32, 3))
    """
    check_choice("builtin", builtin, keras_datasets.KERAS_DATASETS)
    if source is None:
        source = builtin
    if isinstance(source, str) and source in keras_datasets.KERAS_DATASETS:
        return Dataset(**keras_datasets.load_keras_dataset(source), source=f"keras.datasets.{source}")
    if isinstance(source, str) and source == "synthetic":
        arrays = synthetic.make_synthetic(synthetic_examples, synthetic_shape, synthetic_classes, seed)
        return Dataset(**arrays, source=f"synthetic (seed {seed})")
    if not isinstance(source, (str, os.PathLike)) or not os.fspath(source).strip():
        raise DataError(f"Unknown data source {source!r}; {_expected()}.")
    path = Path(os.fspath(source)).expanduser()
    if not path.exists():
        if _looks_like_path(os.fspath(source)):
            raise DataError(f"The data path {path.absolute()} does not exist; {_expected()}.")
        raise DataError(f"Unknown data source {os.fspath(source)!r}; {_expected()}.")
    cache_dir = None if cache_dir is False else cache.resolve_cache_dir(cache_dir)
    arrays = _load_path(path, cache_dir)
    return Dataset(**arrays, source=str(path.resolve()))


def _expected():
    names = ", ".join(repr(name) for name in SOURCE_NAMES)
    return f"expected one of {names}, or a path to {keras_datasets.LOCAL_FORMS}"


def _looks_like_path(text):
    return (
        os.sep in text
        or "/" in text
        or text.startswith((".", "~"))
        or text.lower().endswith((".npz", *ARCHIVE_SUFFIXES))
    )


def _load_path(path, cache_dir):
    if path.is_dir():
        kind, root = find_layout(FileTree.from_folder(path))
        stamp = cache.fingerprint_files(root.files.values())
        arrays, _ = cache.cached_arrays(lambda: _decode(kind, root), kind, path, cache_dir, stamp)
        return arrays
    if path.name.lower().endswith(".npz"):
        return npz.read_npz(path)
    if is_archive(path):
        decode = lambda: _decode(*find_layout(FileTree.from_archive(path)))  # noqa: E731
        arrays, _ = cache.cached_arrays(decode, "archive", path, cache_dir)
        return arrays
    raise DataError(
        f"The data file {path} is neither a .npz nor a .tar.gz, .tgz or .tar archive; "
        f"expected a path to {keras_datasets.LOCAL_FORMS}."
    )


def find_layout(tree):
    """``(kind, subtree)``: which layout the `FileTree` ``tree`` holds, and where.

    ``kind`` is ``"cifar_batches"`` or ``"image_folder"``; the subtree is
    ``tree`` itself or a folder below it reached through single
    sub-folders (an archive's top folder, keras's
    ``cifar-10-batches-py-target/cifar-10-batches-py``).

    Raises:
        DataError: no layout found.
    """
    current = tree
    for _ in range(_MAX_WRAPPERS + 1):
        if cifar_batches.is_cifar_batches(current):
            return "cifar_batches", current
        if image_folder.is_image_folder(current):
            return "image_folder", current
        folders = current.folders()
        if len(folders) != 1:
            break
        current = current.subtree(folders[0])
    what = "archive" if tree.in_archive else "folder"
    raise DataError(f"The {what} {tree.label} holds no images in a known layout; expected {_FOLDER_LAYOUTS}.")


def _decode(kind, tree):
    # Looked up at call time, so tests can replace the decoders.
    if kind == "cifar_batches":
        return cifar_batches.read_cifar_batches(tree)
    return image_folder.read_image_folder(tree)
