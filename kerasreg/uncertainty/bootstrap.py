"""Confidence intervals of test-set metrics by the bootstrap over test examples.

A test set of N examples is one sample of the data the model will see;
resampling its examples with replacement shows how much a metric would
move on another sample of the same size. The interval says nothing of the
variation between training runs (seeds): comparisons measure that.
"""

import numpy as np

from kerasreg.uncertainty.calibration import _checked
from kerasreg.validation import check_positive_int


def bootstrap_interval(metric, probabilities, labels, *, resamples=2000, confidence=0.95, seed=0):
    """The percentile bootstrap interval of ``metric(probabilities, labels)`` over test examples.

    Args:
        metric: A function of ``(probabilities, labels)`` returning a float,
            e.g. `expected_calibration_error` or `negative_log_likelihood`.
        probabilities: Array ``(N, C)`` of class probabilities.
        labels: ``(N,)`` integer classes (or ``(N, 1)``, or one-hot rows).
        resamples: Integer >= 1, bootstrap resamples (each N examples drawn
            with replacement).
        confidence: The interval's coverage, in (0, 1).
        seed: Seed of the resampling: the same seed gives the same interval.

    Returns:
        ``(estimate, low, high)``: the metric on the whole test set and the
        ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of
        the resampled metrics.

    Example:

    >>> import numpy as np
    >>> from kerasreg.uncertainty import bootstrap_interval
    >>> def accuracy(p, y):
    ...     return float(np.mean(np.argmax(p, axis=1) == y))
    >>> p = np.eye(2)[[0, 1] * 50]
    >>> bootstrap_interval(accuracy, p, [0, 1] * 50)
    (1.0, 1.0, 1.0)
    """
    p, y = _checked(probabilities, labels)
    resamples = check_positive_int("resamples", resamples)
    if not 0 < confidence < 1:
        raise ValueError("Invalid value received for argument `confidence`. Expected a float in (0, 1). "
                         f"Received: confidence={confidence!r}")  # fmt: skip
    rng = np.random.default_rng(seed)
    values = np.empty(resamples)
    for index in range(resamples):
        rows = rng.integers(0, len(y), len(y))
        values[index] = metric(p[rows], y[rows])
    low, high = np.quantile(values, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(metric(p, y)), float(low), float(high)
