"""Data sets that `keras.datasets` downloads and caches itself."""

import keras

from kerasreg.data.dataset import as_images, as_labels
from kerasreg.data.errors import DataError

CLASS_NAMES = {
    "cifar10": (
        "airplane", "automobile", "bird", "cat", "deer",
        "dog", "frog", "horse", "ship", "truck",
    ),
    "fashion_mnist": (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ),
}  # fmt: skip

KERAS_DATASETS = tuple(CLASS_NAMES)

LOCAL_FORMS = (
    "a cifar-10-batches-py folder or its .tar.gz, "
    "an image-folder tree (train/<class>/*, test/<class>/*) or its .tar.gz, "
    "or a .npz with x_train, y_train, x_test, y_test"
)


def load_keras_dataset(name):
    """Load ``name`` ("cifar10" or "fashion_mnist") with `keras.datasets`.

    Keras downloads the data once into ``~/.keras/datasets`` and reads it
    from there afterwards. Grayscale images get a channel axis.

    Raises:
        DataError: the download failed; the message says how to pass a
            local copy with ``--data``.
    """
    try:
        (x_train, y_train), (x_test, y_test) = getattr(keras.datasets, name).load_data()
    except Exception as error:  # get_file raises a plain Exception on URL errors.
        raise DataError(
            f"Could not load the {name} data set with keras.datasets.{name}.load_data(): "
            f"the download failed (no network?): {error}. Pass a local copy with --data PATH: "
            f"{LOCAL_FORMS}; or --data synthetic for a smoke run."
        ) from None
    where = f"keras.datasets.{name}"
    return {
        "x_train": as_images(x_train, where, "x_train"),
        "y_train": as_labels(y_train, where, "y_train"),
        "x_test": as_images(x_test, where, "x_test"),
        "y_test": as_labels(y_test, where, "y_test"),
        "class_names": CLASS_NAMES[name],
    }
