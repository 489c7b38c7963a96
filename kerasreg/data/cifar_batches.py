"""The ``cifar-10-batches-py`` folder: CIFAR-10 as published, in Python pickles.

The folder holds ``data_batch_1`` .. ``data_batch_5`` and ``test_batch``,
each a pickled dict with ``b"data"`` (``N x 3072`` uint8 rows: 1024 red,
1024 green, then 1024 blue values of a 32x32 image) and ``b"labels"``, and
``batches.meta`` with ``b"label_names"``. Pickles can run code when loaded:
read only copies you trust (as `keras.datasets.cifar10` does).
"""

import pickle
import re

import numpy as np

from kerasreg.data.errors import DataError

TEST_BATCH = "test_batch"
META = "batches.meta"

_TRAIN_BATCH = re.compile(r"data_batch_(\d+)$")


def is_cifar_batches(tree):
    """Whether the `FileTree` ``tree`` holds CIFAR python batches (a train batch and ``test_batch``)."""
    return TEST_BATCH in tree.files and bool(train_batches(tree))


def train_batches(tree):
    """The ``data_batch_<k>`` files of ``tree``, in the order of ``k``."""
    found = [(int(m.group(1)), name) for name in tree.top_files() if (m := _TRAIN_BATCH.match(name))]
    return [name for _, name in sorted(found)]


def read_cifar_batches(tree):
    """Decode a ``cifar-10-batches-py`` `FileTree` into the arrays of a `Dataset`.

    Returns:
        A dict with ``x_train``, ``y_train``, ``x_test``, ``y_test`` (uint8
        NHWC images, int64 labels) and ``class_names``.
    """
    batches = [_read_batch(tree, name) for name in train_batches(tree)]
    x_test, y_test = _read_batch(tree, TEST_BATCH)
    x_train = np.concatenate([x for x, _ in batches])
    y_train = np.concatenate([y for _, y in batches])
    if x_train.shape[1:] != x_test.shape[1:]:
        raise DataError(
            f"The CIFAR batches in {tree.label} hold {x_train.shape[1:]} train and {x_test.shape[1:]} "
            "test images; expected one image shape."
        )
    num_classes = int(max(y_train.max(initial=-1), y_test.max(initial=-1))) + 1
    class_names = tuple(str(i) for i in range(num_classes))
    if META in tree.files:
        meta = _unpickle(tree, META)
        names = meta.get(b"label_names", meta.get("label_names"))
        if names is not None:
            class_names = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test, "class_names": class_names}


def _unpickle(tree, name):
    try:
        with tree.open(name) as file:
            batch = pickle.load(file, encoding="bytes")
    except Exception as error:
        raise DataError(
            f"Cannot read the CIFAR batch {tree.name(name)}: {error or type(error).__name__}; "
            "expected a pickled dict as in cifar-10-python.tar.gz."
        ) from None
    if not isinstance(batch, dict):
        raise DataError(
            f"Cannot read the CIFAR batch {tree.name(name)}: it holds a {type(batch).__name__}; "
            "expected a pickled dict as in cifar-10-python.tar.gz."
        )
    return batch


def _read_batch(tree, name):
    batch = _unpickle(tree, name)
    data = batch.get(b"data", batch.get("data"))
    labels = batch.get(b"labels", batch.get("labels"))
    if data is None or labels is None:
        raise DataError(f"The CIFAR batch {tree.name(name)} has no data or labels entry; expected both.")
    data = np.asarray(data)
    labels = np.asarray(labels).reshape(-1)
    side = int(round((data.shape[-1] // 3) ** 0.5)) if data.ndim == 2 else 0
    if (
        data.dtype != np.uint8
        or data.ndim != 2
        or 3 * side * side != data.shape[1]
        or len(labels) != len(data)
        or not np.issubdtype(labels.dtype, np.integer)
    ):
        raise DataError(
            f"The CIFAR batch {tree.name(name)} holds {data.dtype} data of shape {data.shape} and "
            f"{len(labels)} labels; expected uint8 rows of 3 * side * side values and one integer label per row."
        )
    # Rows are channel planes (all red, all green, all blue): NCHW -> NHWC.
    images = data.reshape(-1, 3, side, side).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels.astype(np.int64)
