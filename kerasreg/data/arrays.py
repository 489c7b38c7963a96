"""`ArrayData`: a user's own arrays (tabular, token ids, images, regression targets) as a data set.

A `Dataset` holds image-classification data read from a file or a
`keras.datasets` name; `ArrayData` holds anything a Keras model trains on
from arrays: float features ``(N, F)``, integer token ids ``(N, T)``,
``uint8`` or float images ``(N, H, W, C)``, with integer class labels,
binary labels or float targets. `from_tf_datasets` reads finite
`tf.data.Dataset`s of ``(x, y)`` into arrays once (the run's pipeline
needs random access to shuffle per ``(seed, epoch)`` and to carve the
validation split).
"""

import numpy as np

from kerasreg.data.errors import DataError


class ArrayData:
    """Train and test arrays of any shape and dtype.

    Images are what `is_image` says: ``uint8`` arrays of rank 4 (NHWC). They
    are scaled to [0, 1] by the pipeline and are the only data the image
    options (augmentation, test-time augmentation, whitening) accept.
    Labels are integer class indices (classification, ``num_classes`` =
    largest label + 1 unless ``class_names`` says more) or anything else
    (binary or float targets; ``num_classes`` is then None).

    Args:
        x_train, y_train, x_test, y_test: Arrays with one row per example;
            ``x_test``/``y_test`` may be None (no test set: runs report no
            test metrics).
        class_names: Optional sequence of names of the class indices.
        source: How the data is named in logs and ``results.json``.

    Example:

    >>> import numpy as np
    >>> from kerasreg.data import ArrayData
    >>> data = ArrayData(np.zeros((8, 3)), np.arange(8) % 2, np.zeros((4, 3)), np.arange(4) % 2)
    >>> data.input_shape, data.num_classes, data.is_image
    ((3,), 2, False)
    """

    def __init__(self, x_train, y_train, x_test=None, y_test=None, class_names=None, source="arrays"):
        self.source = str(source)
        self.x_train, self.y_train = _pair(x_train, y_train, "train", self.source)
        if (x_test is None) != (y_test is None):
            raise DataError(f"{self.source}: give both x_test and y_test, or neither.")
        if x_test is None:
            self.x_test, self.y_test = None, None
        else:
            self.x_test, self.y_test = _pair(x_test, y_test, "test", self.source)
            if self.x_test.shape[1:] != self.x_train.shape[1:]:
                raise DataError(f"{self.source}: x_train rows are {self.x_train.shape[1:]} but x_test rows are "
                                f"{self.x_test.shape[1:]}; expected one shape.")  # fmt: skip
        if len(self.x_train) < 2:
            raise DataError(f"{self.source}: the train split holds {len(self.x_train)} examples; expected >= 2.")
        self.integer_labels = np.issubdtype(self.y_train.dtype, np.integer) and self.y_train.ndim == 1
        if class_names is None and self.integer_labels:
            labels = self.y_train if self.y_test is None else np.concatenate([self.y_train, self.y_test])
            if labels.min() < 0:
                raise DataError(f"{self.source}: integer labels must be class indices >= 0; got {labels.min()}.")
            class_names = [str(i) for i in range(int(labels.max()) + 1)]
        self.class_names = None if class_names is None else tuple(str(n) for n in class_names)

    @property
    def is_image(self):
        """Whether ``x`` is ``uint8`` NHWC images (scaled to [0, 1] by the pipeline)."""
        return self.x_train.dtype == np.uint8 and self.x_train.ndim == 4

    @property
    def num_classes(self):
        """Number of classes for integer labels, else None."""
        return None if self.class_names is None else len(self.class_names)

    @property
    def input_shape(self):
        """Shape of one example of ``x``."""
        return tuple(int(d) for d in self.x_train.shape[1:])

    def __repr__(self):
        test = 0 if self.x_test is None else len(self.x_test)
        return (f"ArrayData(source={self.source!r}, train={len(self.x_train)}, test={test}, "
                f"input_shape={self.input_shape}, num_classes={self.num_classes})")  # fmt: skip


def _pair(x, y, split, source):
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype == object or y.dtype == object:
        raise DataError(f"{source}: x_{split} and y_{split} must be numeric arrays; got dtypes {x.dtype}, {y.dtype}.")
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise DataError(f"{source}: x_{split} and y_{split} must have one row per example; "
                        f"got shapes {x.shape} and {y.shape}.")  # fmt: skip
    if y.ndim == 2 and y.shape[1] == 1 and np.issubdtype(y.dtype, np.integer):
        y = y[:, 0]
    if np.issubdtype(x.dtype, np.floating) and not np.all(np.isfinite(x)):
        raise DataError(f"{source}: x_{split} holds NaN or infinite values.")
    return x, y


def from_tf_datasets(train, test=None, source="tf.data"):
    """`ArrayData` from finite `tf.data.Dataset`s of ``(x, y)`` pairs, batched or not.

    Read once into memory: kerasreg's pipeline reshuffles per ``(seed,
    epoch)`` and carves the validation split, which needs random access.
    """
    return ArrayData(*_arrays_of(train, "train", source), *(_arrays_of(test, "test", source) if test is not None
                                                            else (None, None)), source=source)  # fmt: skip


def _arrays_of(dataset, split, source):
    xs, ys = [], []
    batched = None
    for element in dataset.as_numpy_iterator():
        if not isinstance(element, tuple) or len(element) != 2:
            raise DataError(f"{source}: the {split} dataset must yield (x, y) pairs.")
        x, y = element
        if batched is None:
            # A batched dataset yields arrays one rank higher than its element spec's batch-less shape.
            shape = dataset.element_spec[0].shape
            batched = len(shape) > 0 and shape[0] is None
        xs.append(x)
        ys.append(y)
    if not xs:
        raise DataError(f"{source}: the {split} dataset is empty.")
    if batched:
        return np.concatenate(xs), np.concatenate(ys)
    return np.stack(xs), np.stack(ys)
