"""Calibration metrics of predicted class probabilities: NLL, Brier score, ECE and its variants.

Plain NumPy functions of ``probabilities`` (``(N, C)``, rows summing to 1)
and ``labels`` (``(N,)`` integer classes, or ``(N, C)`` one-hot rows). They
compute in float64 and return Python floats; `reliability_bins` returns the
per-bin table behind `expected_calibration_error` and the reliability
diagram.
"""

import numpy as np

from kerasreg.validation import check_positive_int

# How far a row of probabilities may sum from 1: float16 / bfloat16 softmax
# outputs, cast up, miss 1 by a few 1e-4.
ROW_SUM_TOLERANCE = 1e-3

# The floor of a probability inside the log (Keras's `backend.epsilon()`):
# float32 softmax rounds the probability of a confidently wrong class to 0,
# and one log(0) would make the mean infinite and hide every other example;
# the floor caps an example's loss at -log(1e-7) ~= 16.1, as Keras's
# cross-entropy losses do.
_LOG_FLOOR = 1e-7


def _invalid(name, expected, received):
    """The house ValueError, with ``received`` already written out (arrays on one line)."""
    return ValueError(
        f"Invalid value received for argument `{name}`. Expected {expected}. "
        f"Received: {received}"
    )


def _one_line(values):
    return np.array2string(np.asarray(values), separator=", ", max_line_width=10**9)


def check_probabilities(probabilities):
    """``probabilities`` as a float64 ``(N, C)`` array (N >= 1, C >= 2) whose rows sum to 1."""
    expected = "an array of shape (N, C), N >= 1, C >= 2, of non-negative rows summing to 1"
    try:
        p = np.asarray(probabilities, dtype="float64")
    except (TypeError, ValueError):
        raise _invalid("probabilities", expected, f"probabilities={probabilities!r}") from None
    if p.ndim != 2 or p.shape[0] < 1 or p.shape[1] < 2:
        raise _invalid("probabilities", expected, f"probabilities with shape {p.shape}")
    bad = ~np.isfinite(p).all(axis=1) | (p < 0).any(axis=1) | (p > 1).any(axis=1)
    bad |= np.abs(p.sum(axis=1) - 1.0) > ROW_SUM_TOLERANCE
    if bad.any():
        row = int(np.argmax(bad))
        raise _invalid(
            "probabilities",
            expected,
            f"probabilities[{row}]={_one_line(p[row])} (sum {p[row].sum():.6g})",
        )
    return p


def check_labels(labels, num_examples, num_classes):
    """Integer class indices ``(N,)`` from ``(N,)`` or ``(N, 1)`` classes or ``(N, C)`` one-hot rows."""
    expected = (
        f"class indices in [0, {num_classes}) of shape ({num_examples},) or "
        f"({num_examples}, 1), or one-hot rows of shape ({num_examples}, {num_classes})"
    )
    try:
        y = np.asarray(labels)
    except (TypeError, ValueError):
        raise _invalid("labels", expected, f"labels={labels!r}") from None
    if not np.issubdtype(y.dtype, np.number):
        raise _invalid("labels", expected, f"labels={labels!r}")
    if y.shape == (num_examples, num_classes):
        one_hot = ((y == 0) | (y == 1)).all(axis=1) & (y.sum(axis=1) == 1)
        if not one_hot.all():
            row = int(np.argmin(one_hot))
            raise _invalid("labels", expected, f"labels[{row}]={_one_line(y[row])}")
        return np.argmax(y, axis=1)
    if y.shape == (num_examples, 1):
        y = y[:, 0]
    if y.shape != (num_examples,):
        raise _invalid("labels", expected, f"labels with shape {y.shape}")
    bad = (y != np.round(y)) | (y < 0) | (y >= num_classes)
    if bad.any():
        index = int(np.argmax(bad))
        raise _invalid("labels", expected, f"labels[{index}]={y[index].item()!r}")
    return y.astype("int64")


def _checked(probabilities, labels):
    p = check_probabilities(probabilities)
    return p, check_labels(labels, *p.shape)


def confidence_and_correct(p, y):
    """Each prediction's confidence (max probability) and whether its argmax class (first on ties) is ``y``."""
    return p.max(axis=1), (p.argmax(axis=1) == y).astype("float64")


def _equal_width_bins(values, num_bins):
    """``(edges, index)``: edges ``b / num_bins`` and each value's bin ``(edges[b], edges[b + 1]]`` (0 in the first)."""
    edges = np.arange(num_bins + 1) / num_bins
    # side="left" puts a value equal to an edge in the bin it closes.
    return edges, np.clip(np.searchsorted(edges, values, side="left") - 1, 0, num_bins - 1)


def negative_log_likelihood(probabilities, labels):
    """Mean negative log-likelihood ``mean(-log p[label])`` of the true classes.

    Each probability is floored at 1e-7 inside the log (as Keras's
    cross-entropy does), so a confidently wrong example costs at most
    ``-log(1e-7) ~= 16.1`` instead of making the mean infinite. Perfect
    predictions give 0; uniform ones over ``C`` classes give ``log(C)``.

    Args:
        probabilities: Array ``(N, C)`` of class probabilities; each row
            non-negative and summing to 1 (within 1e-3).
        labels: ``(N,)`` (or ``(N, 1)``) integer classes in ``[0, C)``, or
            ``(N, C)`` one-hot rows.

    Returns:
        The mean NLL in nats, a Python float.

    Example:

    >>> from kerasreg.uncertainty import negative_log_likelihood
    >>> round(negative_log_likelihood([[0.9, 0.1], [0.2, 0.8]], [0, 0]), 4)
    0.8574
    """
    p, y = _checked(probabilities, labels)
    true_class = p[np.arange(len(y)), y]
    return float(np.mean(-np.log(np.maximum(true_class, _LOG_FLOOR))))


def brier_score(probabilities, labels):
    """Multi-class Brier score: ``mean over examples of sum over classes of (p - onehot)**2``.

    This is Brier's (1950) original definition, summed over the classes
    (not averaged), so it ranges over [0, 2]: 0 for perfect predictions,
    ``1 - 1/C`` for uniform ones, 2 for confident wrong ones.

    Args:
        probabilities: Array ``(N, C)`` of class probabilities; each row
            non-negative and summing to 1 (within 1e-3).
        labels: ``(N,)`` (or ``(N, 1)``) integer classes in ``[0, C)``, or
            ``(N, C)`` one-hot rows.

    Returns:
        The Brier score, a Python float.

    Example:

    >>> from kerasreg.uncertainty import brier_score
    >>> round(brier_score([[0.9, 0.1], [0.2, 0.8]], [0, 0]), 4)
    0.65

    Reference:
        Brier, "Verification of forecasts expressed in terms of
        probability", Monthly Weather Review, 1950.
    """
    p, y = _checked(probabilities, labels)
    one_hot = np.eye(p.shape[1])[y]
    return float(np.mean(np.sum((p - one_hot) ** 2, axis=1)))


def reliability_bins(probabilities, labels, num_bins=15):
    """Accuracy and mean confidence of the predictions in equal-width confidence bins.

    A prediction is the argmax class (the first on ties) and its confidence
    the max probability. Bin ``b`` holds confidences in
    ``(edges[b], edges[b + 1]]``, with ``edges[b] = b / num_bins``; a
    confidence of exactly 0 goes to the first bin.

    Args:
        probabilities: Array ``(N, C)`` of class probabilities; each row
            non-negative and summing to 1 (within 1e-3).
        labels: ``(N,)`` (or ``(N, 1)``) integer classes in ``[0, C)``, or
            ``(N, C)`` one-hot rows.
        num_bins: Integer >= 1, the number of bins over [0, 1].

    Returns:
        A dict of NumPy arrays: ``edges`` (``num_bins + 1`` floats),
        ``confidence`` and ``accuracy`` (float per bin, NaN for an empty
        bin), ``count`` (int64 per bin).

    Example:

    >>> import numpy as np
    >>> from kerasreg.uncertainty import reliability_bins
    >>> bins = reliability_bins([[0.9, 0.1], [0.2, 0.8]], [0, 0], num_bins=2)
    >>> bins["edges"].tolist(), bins["count"].tolist()
    ([0.0, 0.5, 1.0], [0, 2])
    >>> np.round(bins["confidence"], 3).tolist(), bins["accuracy"].tolist()
    ([nan, 0.85], [nan, 0.5])
    """
    p, y = _checked(probabilities, labels)
    num_bins = check_positive_int("num_bins", num_bins)
    confidence, correct = confidence_and_correct(p, y)
    edges, index = _equal_width_bins(confidence, num_bins)
    count = np.bincount(index, minlength=num_bins)
    mean_confidence = np.full(num_bins, np.nan)
    accuracy = np.full(num_bins, np.nan)
    np.divide(np.bincount(index, confidence, num_bins), count, out=mean_confidence, where=count > 0)
    np.divide(np.bincount(index, correct, num_bins), count, out=accuracy, where=count > 0)
    return {
        "edges": edges,
        "confidence": mean_confidence,
        "accuracy": accuracy,
        "count": count.astype("int64"),
    }


def expected_calibration_error(probabilities, labels, num_bins=15):
    """Expected calibration error: ``sum_b (n_b / N) * |accuracy_b - confidence_b|``.

    The binned gap between accuracy and confidence of Guo et al. (2017),
    over the equal-width bins of `reliability_bins` (confidence = max
    probability, prediction = argmax, bins ``(lo, hi]``). 0 for perfectly
    calibrated predictions, at most 1.

    Args:
        probabilities: Array ``(N, C)`` of class probabilities; each row
            non-negative and summing to 1 (within 1e-3).
        labels: ``(N,)`` (or ``(N, 1)``) integer classes in ``[0, C)``, or
            ``(N, C)`` one-hot rows.
        num_bins: Integer >= 1, the number of bins (15 in the paper).

    Returns:
        The ECE, a Python float.

    Example:

    >>> from kerasreg.uncertainty import expected_calibration_error
    >>> round(expected_calibration_error([[0.9, 0.1], [0.2, 0.8]], [0, 0], num_bins=10), 4)
    0.45

    Reference:
        Guo, Pleiss, Sun & Weinberger, "On Calibration of Modern Neural
        Networks", ICML 2017.
    """
    return ece_of_bins(reliability_bins(probabilities, labels, num_bins))


def ece_of_bins(bins):
    """The ECE of a `reliability_bins` table (empty bins weigh nothing)."""
    filled = bins["count"] > 0
    weights = bins["count"][filled] / bins["count"].sum()
    gaps = np.abs(bins["accuracy"][filled] - bins["confidence"][filled])
    return float(np.sum(weights * gaps))


def adaptive_calibration_error(probabilities, labels, num_bins=15):
    """Adaptive (equal-mass) ECE: the ECE over bins that each hold the same number of predictions.

    The predictions are sorted by confidence (max probability) and split
    into ``num_bins`` consecutive groups of equal size (the first groups one
    larger when ``N`` does not divide); each group weighs ``n_b / N``. Equal
    width bins leave most bins nearly empty when a network is confident;
    equal-mass bins spread the estimate over the predictions there are
    (Nixon et al. 2019).

    Args:
        probabilities: Array ``(N, C)`` of class probabilities; each row
            non-negative and summing to 1 (within 1e-3).
        labels: ``(N,)`` (or ``(N, 1)``) integer classes in ``[0, C)``, or
            ``(N, C)`` one-hot rows.
        num_bins: Integer >= 1; at most ``N`` bins are used.

    Returns:
        The adaptive ECE, a Python float.

    Example:

    >>> from kerasreg.uncertainty import adaptive_calibration_error
    >>> p = [[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.3, 0.7]]
    >>> round(adaptive_calibration_error(p, [0, 1, 1, 0], num_bins=2), 4)
    0.25

    Reference:
        Nixon, Dusenberry, Zhang, Jerfel & Tran, "Measuring Calibration in
        Deep Learning", CVPR Workshops 2019.
    """
    p, y = _checked(probabilities, labels)
    num_bins = check_positive_int("num_bins", num_bins)
    confidence, correct = confidence_and_correct(p, y)
    order = np.argsort(confidence, kind="stable")
    total = 0.0
    for group in np.array_split(order, min(num_bins, len(order))):
        total += len(group) * abs(correct[group].mean() - confidence[group].mean())
    return float(total / len(order))


def classwise_calibration_error(probabilities, labels, num_bins=15):
    """Classwise ECE: the mean over classes of the binned gap between each class's probability and frequency.

    For class ``c``, every example's ``p[:, c]`` goes into equal-width bins
    (as `reliability_bins` bins confidences); a bin's gap is
    ``|frequency of class c - mean p[:, c]|`` over its examples, weighted by
    ``n_b / N``. The mean over the ``C`` classes is returned (Kull et al.
    2019). Unlike the ECE it also scores the probabilities of the classes
    that were not predicted.

    Args:
        probabilities: Array ``(N, C)`` of class probabilities; each row
            non-negative and summing to 1 (within 1e-3).
        labels: ``(N,)`` (or ``(N, 1)``) integer classes in ``[0, C)``, or
            ``(N, C)`` one-hot rows.
        num_bins: Integer >= 1, the number of bins over [0, 1].

    Returns:
        The classwise ECE, a Python float.

    Example:

    >>> from kerasreg.uncertainty import classwise_calibration_error
    >>> round(classwise_calibration_error([[0.9, 0.1], [0.2, 0.8]], [0, 0], num_bins=2), 4)
    0.45

    Reference:
        Kull, Perello-Nieto, Kängsepp, Silva Filho, Song & Flach, "Beyond
        temperature scaling: Obtaining well-calibrated multiclass
        probabilities with Dirichlet calibration", NeurIPS 2019.
    """
    p, y = _checked(probabilities, labels)
    num_bins = check_positive_int("num_bins", num_bins)
    errors = []
    for c in range(p.shape[1]):
        scores = p[:, c]
        hits = (y == c).astype("float64")
        _, index = _equal_width_bins(scores, num_bins)
        # (n_b / N) * |mean hits - mean scores| is |sum hits - sum scores| / N.
        gaps = np.abs(np.bincount(index, hits, num_bins) - np.bincount(index, scores, num_bins))
        errors.append(gaps.sum() / len(y))
    return float(np.mean(errors))

