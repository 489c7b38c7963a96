"""The open-set split: train on some classes of a data set; the test images of the others are out of distribution.

Neal et al., "Open Set Learning with Counterfactual Images" (ECCV 2018),
train a classifier on 6 of the 10 CIFAR-10 classes and score how well it
tells the test images of the 4 others apart from those of its own. The
left-out classes' training images are dropped, not moved: the model never
sees a left-out class, so its test images are out of distribution in the
sense that matters (semantic, on the same image statistics).
"""

import dataclasses
import numbers

import numpy as np

from kerasreg.data.arrays import ArrayData
from kerasreg.data.dataset import Dataset
from kerasreg.validation import invalid_argument


def _check_known_classes(known_classes, num_classes, source):
    name = "known_classes"
    if isinstance(known_classes, (str, bytes)) or not hasattr(known_classes, "__iter__"):
        raise invalid_argument(name, "a list of class indices", known_classes)
    known = list(known_classes)
    if any(isinstance(c, (bool, np.bool_)) or not isinstance(c, numbers.Integral) for c in known):
        raise invalid_argument(name, "a list of integer class indices", known_classes)
    if len(set(known)) != len(known):
        raise invalid_argument(name, "distinct class indices", known_classes)
    if len(known) < 2:
        raise invalid_argument(name, "at least 2 class indices (a classifier needs 2 classes)", known_classes)
    if any(not 0 <= c < num_classes for c in known):
        raise invalid_argument(name, f"class indices in [0, {num_classes - 1}] ({source} has {num_classes} classes)",
                               known_classes)  # fmt: skip
    if len(known) == num_classes:
        # Every class known: nothing is out of distribution, and the run would be the plain one.
        raise invalid_argument(name, f"at most {num_classes - 1} of the {num_classes} classes of {source}, so that "
                               "some are left out", known_classes)  # fmt: skip
    return [int(c) for c in known]


def _relabel(x, y, lookup):
    """``(x_known, y_known, x_other)``: the rows of known classes relabelled through ``lookup``, and the rest."""
    new = lookup[y]
    known = new >= 0
    return x[known], new[known].astype(y.dtype), x[~known]


def open_set_split(dataset, known_classes):
    """The known classes of ``dataset``, relabelled, and the test images of the other classes.

    Args:
        dataset: A `kerasreg.data.ArrayData` or `kerasreg.data.Dataset` with
            integer class labels.
        known_classes: The class indices to keep, at least 2 and not all of
            them. Class ``known_classes[i]`` becomes class ``i``: ``[3, 5]``
            keeps classes 3 and 5 as 0 and 1.

    Returns:
        ``(in_distribution, ood_x_test)``. ``in_distribution`` is of the
        type of ``dataset``, with the training and test examples of the
        known classes only, their labels mapped to ``0 .. k - 1`` and the
        class names following. ``ood_x_test`` is the ``x`` of the test
        examples of every other class, in their order in ``dataset``, as
        stored (``uint8`` images are not scaled); None when ``dataset``
        has no test split.

    Raises:
        ValueError: ``known_classes`` is not a list of distinct class
            indices of ``dataset``, has fewer than 2 or holds every class,
            or ``dataset`` has no integer class labels.

    Example:

    >>> import numpy as np
    >>> from kerasreg.data import ArrayData, open_set_split
    >>> data = ArrayData(np.arange(8.0)[:, None], np.arange(8) % 4, np.arange(4.0)[:, None], np.arange(4))
    >>> known, ood = open_set_split(data, [2, 0])
    >>> known.y_train.tolist(), known.class_names, ood[:, 0].tolist()
    ([1, 0, 1, 0], ('2', '0'), [1.0, 3.0])
    """
    if not dataset.integer_labels or dataset.class_names is None:
        y = dataset.y_train
        raise invalid_argument("known_classes", f"[] for data without integer class labels (the labels of "
                               f"{dataset.source} are {y.dtype} of shape {y.shape[1:]} per example)",
                               known_classes)  # fmt: skip
    num_classes = dataset.num_classes
    known = _check_known_classes(known_classes, num_classes, dataset.source)
    # Class index -> new label, -1 for the left-out classes. Sized for every
    # label present, should the data hold labels past its class names.
    labels = [dataset.y_train] + ([] if dataset.y_test is None else [dataset.y_test])
    size = max([num_classes] + [int(y.max()) + 1 for y in labels if len(y)])
    lookup = np.full(size, -1, dtype=np.int64)
    lookup[known] = np.arange(len(known))
    names = tuple(dataset.class_names[c] for c in known)
    x_train, y_train, _ = _relabel(dataset.x_train, dataset.y_train, lookup)
    if dataset.x_test is None:
        x_test, y_test, ood = None, None, None
    else:
        x_test, y_test, ood = _relabel(dataset.x_test, dataset.y_test, lookup)
    if isinstance(dataset, Dataset):
        split = dataclasses.replace(dataset, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                                    class_names=names)  # fmt: skip
    else:
        split = ArrayData(x_train, y_train, x_test, y_test, class_names=names, source=dataset.source)
    return split, ood
