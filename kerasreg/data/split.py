"""The validation split, carved from the train arrays."""

import numbers

import numpy as np

from kerasreg.validation import check_positive_int, check_seed, invalid_argument

# CIFAR-10's customary validation size: 5,000 of its 50,000 train images.
FULL_VALIDATION_SIZE = 5000
FULL_TRAIN_SIZE = 50000
VALIDATION_FRACTION = 0.1


def default_validation_size(num_train):
    """5,000 for 50,000 or more train images (full CIFAR-10), else 10 % (at least 1).

    >>> default_validation_size(50000), default_validation_size(512), default_validation_size(5)
    (5000, 51, 1)
    """
    num_train = check_positive_int("num_train", num_train)
    if num_train < 2:
        raise invalid_argument("num_train", "an integer >= 2 (one image to train on, one to validate)", num_train)
    if num_train >= FULL_TRAIN_SIZE:
        return FULL_VALIDATION_SIZE
    return max(1, int(VALIDATION_FRACTION * num_train))


def split_validation(x, y, size, seed):
    """Split ``(x, y)`` into train and validation parts, stratified by label and seeded.

    Integer class labels are stratified; other targets (floats, several
    columns) get a plain seeded random split.

    The validation part takes ``size`` examples chosen at random, spread
    over the classes in proportion to their counts (each class gives
    ``size / n`` of its examples, rounded so the total is exact). The same
    ``seed`` gives the same split; both parts keep the original order.

    Args:
        x: Array of ``n`` examples.
        y: Labels or targets with ``n`` rows (integer labels ``(n,)`` are stratified).
        size: Integer count in [1, n - 1], or a float fraction in (0, 1)
            (rounded to a count, at least 1 and at most n - 1).
        seed: Integer >= 0 (or ``None`` for a random split).

    Returns:
        ``(x_train, y_train, x_val, y_val)``.

    Example:

    >>> import numpy as np
    >>> x, y = np.arange(20), np.arange(20) % 2
    >>> x_train, y_train, x_val, y_val = split_validation(x, y, 0.2, seed=0)
    >>> len(x_train), len(x_val), sorted(y_val.tolist())
    (16, 4, [0, 0, 1, 1])
    """
    x, y = np.asarray(x), np.asarray(y)
    if y.ndim == 0 or len(x) != len(y):
        received = f"<array of shape {y.shape}>"
        raise invalid_argument("y", f"labels with {len(x)} rows, one per example of x", received)
    count = validation_count(len(y), size)
    rng = np.random.default_rng(check_seed(seed))
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        # Targets that are not class indices (regression, multi-label): a plain seeded random split.
        is_val = np.zeros(len(y), dtype=bool)
        is_val[rng.permutation(len(y))[:count]] = True
        return x[~is_val], y[~is_val], x[is_val], y[is_val]
    # Rank each example within its class in random order; an example's key
    # is its relative position in its class. Taking the `count` smallest keys
    # takes the same fraction of every class (ties broken at random).
    order = rng.permutation(len(y))
    _, inverse, counts = np.unique(y[order], return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    rank = np.empty(len(y), dtype=np.int64)
    by_class = np.argsort(inverse, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank[by_class] = np.arange(len(y)) - np.repeat(starts, counts)
    key = (rank + rng.random(len(y))) / counts[inverse]
    chosen = order[np.argsort(key, kind="stable")[:count]]
    is_val = np.zeros(len(y), dtype=bool)
    is_val[chosen] = True
    return x[~is_val], y[~is_val], x[is_val], y[is_val]


def validation_count(num_examples, size):
    """The number of validation examples that ``size`` (count or fraction) means for ``num_examples``."""
    if num_examples < 2:
        raise invalid_argument("x", "at least 2 examples to split", f"<{num_examples} examples>")
    if isinstance(size, bool) or not isinstance(size, numbers.Real):
        raise invalid_argument("size", "an integer count or a float fraction in (0, 1)", size)
    if isinstance(size, numbers.Integral):
        if not 1 <= size < num_examples:
            raise invalid_argument("size", f"an integer in [1, {num_examples - 1}] (n={num_examples})", size)
        return int(size)
    if not 0.0 < size < 1.0:
        raise invalid_argument("size", "a float fraction in (0, 1) or an integer count", size)
    return min(max(1, int(round(size * num_examples))), num_examples - 1)
