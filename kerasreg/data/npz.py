"""``.npz`` files with ``x_train``, ``y_train``, ``x_test``, ``y_test`` (and ``class_names``)."""

import zipfile

import numpy as np

from kerasreg.data.dataset import as_images, as_labels
from kerasreg.data.errors import DataError

REQUIRED_KEYS = ("x_train", "y_train", "x_test", "y_test")


def read_npz(path):
    """Read a data set saved with ``np.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)``.

    Images are uint8 (integers in [0, 255] are converted), NHWC or NHW
    (grayscale; a channel axis is added); labels are integer class indices.
    An optional ``class_names`` array of str names the classes; without it
    they are ``"0"``, ``"1"``, ... up to the largest label.
    """
    expected = "expected arrays x_train, y_train, x_test, y_test saved with numpy.savez (no pickled objects)"
    if not zipfile.is_zipfile(path):
        raise DataError(f"Cannot read {path} as a .npz file: it is not a zip archive; {expected}.")
    try:
        with np.load(path, allow_pickle=False) as stored:
            missing = [key for key in REQUIRED_KEYS if key not in stored.files]
            if missing:
                raise DataError(
                    f"The file {path} lacks {', '.join(missing)}; expected a .npz with "
                    f"arrays {', '.join(REQUIRED_KEYS)} (and optionally class_names)."
                )
            arrays = {key: stored[key] for key in REQUIRED_KEYS}
            class_names = stored["class_names"] if "class_names" in stored.files else None
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"Cannot read {path} as a .npz file: {error}; {expected}.") from None
    result = {
        key: (as_images if key.startswith("x") else as_labels)(value, path, key)
        for key, value in arrays.items()
    }
    if class_names is None:
        num_classes = int(max(result["y_train"].max(initial=-1), result["y_test"].max(initial=-1))) + 1
        class_names = range(num_classes)
    result["class_names"] = tuple(str(name) for name in np.asarray(class_names).reshape(-1))
    return result
