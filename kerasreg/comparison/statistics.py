"""Statistics over seeds: t-intervals of a mean and paired tests of a difference (SciPy's distributions).

With a handful of seeds per variant the sampling distribution of a mean is
Student's t with ``n - 1`` degrees of freedom, not normal. Two variants
trained with the same seeds share the data split, the initialisation
stream and the batch order, so their results are paired by seed: the paired
t-test on the per-seed differences removes the seed-to-seed variation both
share, which an unpaired test would count as noise.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from kerasreg.validation import invalid_argument


def _values(name, values):
    array = np.asarray(values, dtype="float64").reshape(-1)
    if array.size == 0 or not np.all(np.isfinite(array)):
        raise invalid_argument(name, "a non-empty sequence of finite numbers", values)
    return array


@dataclass(frozen=True)
class Interval:
    """A mean with its two-sided confidence interval (``low``/``high`` NaN for one value)."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self):
        return (self.high - self.low) / 2


def mean_interval(values, confidence=0.95):
    """The mean of ``values`` and its Student-t confidence interval.

    ``mean ± t_{(1 + confidence) / 2, n - 1} · s / sqrt(n)`` with ``s`` the
    sample standard deviation (``ddof=1``). One value has no interval (NaN
    bounds); identical values have a zero-width one.

    Args:
        values: The per-seed results.
        confidence: Float in (0, 1).

    Returns:
        An `Interval`.

    Example:

    >>> interval = mean_interval([0.90, 0.91, 0.92])
    >>> round(interval.mean, 4), round(interval.half_width, 4)
    (0.91, 0.0248)
    """
    array = _values("values", values)
    if not 0 < confidence < 1:
        raise invalid_argument("confidence", "a float in (0, 1)", confidence)
    mean = float(array.mean())
    if array.size < 2:
        return Interval(mean, math.nan, math.nan, 1)
    sem = float(array.std(ddof=1)) / math.sqrt(array.size)
    if sem == 0:
        return Interval(mean, mean, mean, int(array.size))
    low, high = stats.t.interval(confidence, array.size - 1, loc=mean, scale=sem)
    return Interval(mean, float(low), float(high), int(array.size))


@dataclass(frozen=True)
class PairedDifference:
    """``variant - baseline`` over paired seeds: the mean difference, its interval and the p-value."""

    difference: Interval
    p_value: float


def paired_difference(variant, baseline, confidence=0.95):
    """Paired comparison of ``variant`` against ``baseline`` (equal-length, seed-aligned results).

    The interval is the t-interval of the per-seed differences; the p-value
    is the two-sided paired t-test (`scipy.stats.ttest_rel`) of "no
    difference". It is NaN with fewer than two pairs, and with differences
    that are all equal (no spread to test against) it is 1 if they are 0,
    else 0.

    Example:

    >>> result = paired_difference([0.92, 0.93, 0.95], [0.90, 0.92, 0.93])
    >>> round(result.difference.mean, 4), round(result.p_value, 3)
    (0.0167, 0.038)
    """
    a, b = _values("variant", variant), _values("baseline", baseline)
    if a.size != b.size:
        raise ValueError(
            "Invalid value received for arguments `variant` and `baseline`. Expected "
            f"results of the same seeds (equal lengths). Received: {a.size} and {b.size} values"
        )
    differences = a - b
    interval = mean_interval(differences, confidence)
    if a.size < 2:
        return PairedDifference(interval, math.nan)
    if np.all(differences == differences[0]):
        return PairedDifference(interval, 1.0 if differences[0] == 0 else 0.0)
    return PairedDifference(interval, float(stats.ttest_rel(a, b).pvalue))
