"""`Dataset`: the arrays of one image-classification data set."""

import dataclasses

import numpy as np

from kerasreg.data.errors import DataError


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """Train and test arrays of an image-classification data set.

    Images are ``uint8`` NHWC arrays, labels ``int64`` 1-D arrays of class
    indices into ``class_names``. The validation split is carved from the
    train arrays by `split_validation`; the test arrays are meant to be
    evaluated once, at the end.

    Attributes:
        x_train: ``uint8`` array of shape ``(num_train, height, width, channels)``.
        y_train: ``int64`` array of shape ``(num_train,)``.
        x_test: ``uint8`` array of shape ``(num_test, height, width, channels)``.
        y_test: ``int64`` array of shape ``(num_test,)``.
        class_names: Tuple of str, the name of each class index.
        source: Str, where the data came from (for logs and reports).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple
    source: str

    def __post_init__(self):
        object.__setattr__(self, "class_names", tuple(str(n) for n in self.class_names))
        for split in ("train", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if not (isinstance(x, np.ndarray) and x.dtype == np.uint8 and x.ndim == 4):
                raise DataError(
                    f"{self.source}: x_{split} must be a uint8 array of shape "
                    f"(N, height, width, channels); got {_describe(x)}."
                )
            if not (isinstance(y, np.ndarray) and y.dtype == np.int64 and y.shape == (len(x),)):
                raise DataError(
                    f"{self.source}: y_{split} must be an int64 array of shape "
                    f"({len(x)},); got {_describe(y)}."
                )
            if len(y) and (y.min() < 0 or y.max() >= len(self.class_names)):
                raise DataError(
                    f"{self.source}: y_{split} holds labels in [{y.min()}, {y.max()}] but there "
                    f"are {len(self.class_names)} class names; expected labels in "
                    f"[0, {len(self.class_names) - 1}]."
                )
        if self.x_train.shape[1:] != self.x_test.shape[1:]:
            raise DataError(
                f"{self.source}: train images are {self.x_train.shape[1:]} but test images are "
                f"{self.x_test.shape[1:]}; expected one image shape."
            )
        if not len(self.x_train):
            raise DataError(f"{self.source}: the train split holds no images.")

    # What the engine asks of any data set (see `ArrayData`): images with class labels.
    is_image = True
    integer_labels = True

    @property
    def num_classes(self):
        """Number of classes, ``len(class_names)``."""
        return len(self.class_names)

    @property
    def input_shape(self):
        """Shape of one image, ``(height, width, channels)``."""
        return tuple(int(d) for d in self.x_train.shape[1:])

    def __repr__(self):
        return (
            f"Dataset(source={self.source!r}, train={len(self.x_train)}, test={len(self.x_test)}, "
            f"input_shape={self.input_shape}, num_classes={self.num_classes})"
        )


def _describe(array):
    if isinstance(array, np.ndarray):
        return f"dtype {array.dtype}, shape {array.shape}"
    return type(array).__name__


def as_images(x, where, name):
    """``x`` as the uint8 NHWC array a `Dataset` holds; grayscale NHW gets a channel axis.

    Integer arrays with values in [0, 255] are converted; anything else
    (floats, other ranks) raises `DataError` naming ``where`` and ``name``.
    """
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise DataError(
            f"{where}: {name} must be images of shape (N, height, width[, channels]); got shape {x.shape}."
        )
    if x.dtype == np.uint8:
        return x
    if not np.issubdtype(x.dtype, np.integer) or (x.size and (x.min() < 0 or x.max() > 255)):
        raise DataError(f"{where}: {name} must be uint8 images (integers in [0, 255]); got dtype {x.dtype}.")
    return x.astype(np.uint8)


def as_labels(y, where, name):
    """``y`` as the int64 1-D array a `Dataset` holds; ``(N, 1)`` is flattened."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise DataError(
            f"{where}: {name} must be integer class indices of shape (N,); got dtype {y.dtype}, shape {y.shape}."
        )
    return y.astype(np.int64)
