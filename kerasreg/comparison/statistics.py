"""Statistics over seeds: t-intervals of a mean and paired tests of a difference (SciPy's distributions).

With a handful of seeds per variant the sampling distribution of a mean is
Student's t with ``n - 1`` degrees of freedom, not normal. Two variants
trained with the same seeds share the data split, the initialisation
stream and the batch order, so their results are paired by seed: the paired
t-test on the per-seed differences removes the seed-to-seed variation both
share, which an unpaired test would count as noise.

Beside them: seeded bootstrap intervals (`bootstrap_interval`, BCa or
percentile), the probability of improvement (`probability_of_improvement`),
Holm's adjustment of a family of p-values (`holm`), and the power of the
paired t-test with the seeds it needs (`paired_t_power`, `seeds_needed`).
Resampling is vectorized: one index array for all resamples.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

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


def _generator_seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise invalid_argument("seed", "an integer >= 0", seed)
    return np.random.default_rng(seed)


def _check_resamples(resamples):
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 100:
        raise invalid_argument("resamples", "an integer >= 100", resamples)
    return resamples


def _check_confidence(confidence):
    if not 0 < confidence < 1:
        raise invalid_argument("confidence", "a float in (0, 1)", confidence)
    return confidence


def _bca_levels(values, estimate, resampled, alpha):
    """The BCa interval's two quantile levels (Efron & Tibshirani 1993, section 14.3) for the mean.

    The bias correction ``z0`` is the normal quantile of the share of
    resampled means below the estimate (ties half); the acceleration ``a``
    is the skewness of the jackknife (leave-one-out) means.
    """
    below = np.count_nonzero(resampled < estimate) + np.count_nonzero(resampled <= estimate)
    z0 = special.ndtri(below / (2 * resampled.size))
    jackknife = (values.sum() - values) / (values.size - 1)
    spread = jackknife.mean() - jackknife
    acceleration = (spread**3).sum() / (6 * ((spread**2).sum()) ** 1.5)
    z = special.ndtri(np.array([alpha, 1 - alpha]))
    return special.ndtr(z0 + (z0 + z) / (1 - acceleration * (z0 + z)))


def bootstrap_interval(values, confidence=0.95, resamples=10_000, method="BCa", seed=0):
    """The mean of ``values`` and its bootstrap confidence interval over the seeds.

    The seeds are resampled with replacement ``resamples`` times (indices
    ``numpy.random.default_rng(seed).integers(0, n, (resamples, n))``, all
    at once), and the interval is read off the distribution of the
    resampled means: ``"percentile"`` takes its ``(1 ∓ confidence) / 2``
    quantiles, ``"BCa"`` (bias-corrected and accelerated, Efron 1987)
    shifts those levels for the distribution's bias and skewness. Both give
    what `scipy.stats.bootstrap` gives for the same resamples. For the
    paired difference to a baseline, pass the per-seed differences.

    A bootstrap interval never leaves the range of the values, so with
    few seeds it is narrower than the t-interval (`mean_interval`) and
    covers the true mean less often than it says: read it next to the
    t-interval, and trust it from ~20 seeds on. One value has no interval
    (NaN bounds); identical values have a zero-width one.

    Args:
        values: The per-seed results.
        confidence: Float in (0, 1).
        resamples: Integer >= 100, the number of bootstrap resamples.
        method: ``"BCa"`` or ``"percentile"``.
        seed: Integer >= 0: the same seed gives the same interval.

    Returns:
        An `Interval`.

    Example:

    >>> interval = bootstrap_interval([0.90, 0.91, 0.92, 0.94])
    >>> round(interval.mean, 4), interval.low >= 0.90, interval.high <= 0.94
    (0.9175, True, True)
    """
    array = _values("values", values)
    _check_confidence(confidence)
    _check_resamples(resamples)
    if method not in ("BCa", "percentile"):
        raise invalid_argument("method", "'BCa' or 'percentile'", method)
    rng = _generator_seed(seed)
    mean = float(array.mean())
    if array.size < 2:
        return Interval(mean, math.nan, math.nan, 1)
    if np.all(array == array[0]):
        return Interval(mean, mean, mean, int(array.size))
    resampled = array[rng.integers(0, array.size, (resamples, array.size))].mean(axis=1)
    alpha = (1 - confidence) / 2
    levels = np.array([alpha, 1 - alpha])
    if method == "BCa":
        shifted = _bca_levels(array, mean, resampled, alpha)
        # The correction is undefined when every resampled mean falls on one side of the estimate
        # (possible with very few resamples); the percentile levels stand in.
        if np.all(np.isfinite(shifted)):
            levels = shifted
    low, high = np.quantile(resampled, levels)  # the "linear" rule, as scipy.stats.bootstrap
    return Interval(mean, float(low), float(high), int(array.size))


def probability_of_improvement(variant, baseline, paired=True, confidence=0.95, resamples=10_000, seed=0):
    """P(variant > baseline), ties counting 1/2, with its percentile bootstrap interval.

    ``paired=True`` (runs paired by seed): the share of seeds on which the
    variant beats the baseline, ``mean(1[d > 0] + 1/2 · 1[d = 0])`` over
    the per-seed differences ``d``; the seeds are resampled as pairs.
    ``paired=False``: rliable's definition (Agarwal et al. 2021,
    `rliable.metrics.probability_of_improvement`), the share of all
    ``n × m`` run pairs the variant wins, the Mann-Whitney ``U / (n·m)``,
    with each side resampled on its own, as rliable's
    ``StratifiedIndependentBootstrap`` does. 0.5 is a tie; what counts as
    better is larger values, so pass minus a loss. Resamples are drawn as
    in `bootstrap_interval`.

    With ``n`` seeds the paired value is a multiple of ``1 / (2n)``, and a
    variant that wins every seed gets ``[1, 1]``: read that as "won all n",
    not as certainty.

    Args:
        variant: The variant's per-seed results.
        baseline: The baseline's (seed-aligned when ``paired``).
        paired: Bool, see above.
        confidence: Float in (0, 1).
        resamples: Integer >= 100.
        seed: Integer >= 0.

    Returns:
        An `Interval` whose ``mean`` is the probability (``n``: the pairs, or the smaller side unpaired).

    Example:

    >>> result = probability_of_improvement([0.92, 0.93, 0.90, 0.95], [0.90, 0.94, 0.90, 0.93])
    >>> result.mean
    0.625
    """
    a, b = _values("variant", variant), _values("baseline", baseline)
    _check_confidence(confidence)
    _check_resamples(resamples)
    if paired and a.size != b.size:
        raise ValueError(
            "Invalid value received for arguments `variant` and `baseline`. Expected "
            f"results of the same seeds (equal lengths). Received: {a.size} and {b.size} values"
        )
    rng = _generator_seed(seed)
    if paired:
        scores = (np.sign(a - b) + 1) / 2
        estimate = float(scores.mean())
        if scores.size < 2:
            return Interval(estimate, math.nan, math.nan, 1)
        resampled = scores[rng.integers(0, scores.size, (resamples, scores.size))].mean(axis=1)
    else:
        estimate = float(_wins(a[None], b[None])[0])
        if a.size < 2 and b.size < 2:
            return Interval(estimate, math.nan, math.nan, 1)
        resampled = _wins(a[rng.integers(0, a.size, (resamples, a.size))],
                          b[rng.integers(0, b.size, (resamples, b.size))])  # fmt: skip
    alpha = (1 - confidence) / 2
    low, high = np.quantile(resampled, [alpha, 1 - alpha])
    return Interval(estimate, float(low), float(high), int(min(a.size, b.size)))


def _wins(a, b):
    """Per row, the Mann-Whitney ``U / (n·m)`` of ``a`` over ``b``, from midranks (no ``n × m`` array)."""
    n, m = a.shape[-1], b.shape[-1]
    ranks = stats.rankdata(np.concatenate([a, b], axis=-1), axis=-1)
    u = ranks[..., :n].sum(axis=-1) - n * (n + 1) / 2
    return u / (n * m)


def holm(p_values):
    """Holm-Bonferroni adjusted p-values of a family of tests (along the last axis; NaNs are not tests).

    With the ``m`` p-values sorted, ``p_(1) <= ... <= p_(m)``, the adjusted
    ``p~_(i) = max_{j <= i} min(1, (m - j + 1) · p_(j))`` (Holm 1979), each
    in its input position. Rejecting where ``p~ <= alpha`` is Holm's
    step-down test: the family-wise error rate, the chance of any false
    rejection, is at most ``alpha`` whatever the tests' dependence, and it
    rejects everything Bonferroni (``m · p``) rejects.

    Args:
        p_values: Array-like of p-values in [0, 1] or NaN; a 2-D array is
            one family per row.

    Returns:
        A float64 array of the same shape.

    Example:

    >>> holm([0.01, 0.04, 0.03, 0.005]).round(4).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    p = np.array(p_values, dtype="float64", ndmin=1)
    finite = p[np.isfinite(p)]
    if np.any((finite < 0) | (finite > 1)) or np.any(np.isinf(p)):
        raise invalid_argument("p_values", "p-values in [0, 1] (or NaN)", p_values)
    order = np.argsort(p, axis=-1)  # NaNs sort last, so the first m are the tests
    ordered = np.take_along_axis(p, order, axis=-1)
    tests = np.count_nonzero(np.isfinite(p), axis=-1)[..., None]
    scaled = np.minimum(1.0, ordered * (tests - np.arange(p.shape[-1])))
    adjusted = np.fmax.accumulate(scaled, axis=-1)
    adjusted[np.isnan(ordered)] = np.nan
    result = np.empty_like(adjusted)
    np.put_along_axis(result, order, adjusted, axis=-1)
    return result.reshape(np.shape(p_values)) if np.ndim(p_values) else result[0]


def paired_t_power(difference, sd, n, alpha=0.05):
    """The power of the two-sided paired t-test with ``n`` pairs to detect a true mean ``difference``.

    Under a true difference the statistic is noncentral t with ``n - 1``
    degrees of freedom and noncentrality ``difference / sd · sqrt(n)``, so
    the power is ``P(|T| > t_{1 - alpha/2, n - 1})`` (`scipy.stats.nct`).

    Args:
        difference: The true mean of the paired differences.
        sd: Float > 0, their standard deviation.
        n: Integer >= 2 (or an array of them), the number of pairs (seeds).
        alpha: Float in (0, 1), the test's level.

    Returns:
        A float (an array for an array ``n``).

    Example:

    >>> round(float(paired_t_power(0.5, 1.0, 34)), 3)
    0.808
    """
    if not sd > 0:
        raise invalid_argument("sd", "a float > 0", sd)
    if not 0 < alpha < 1:
        raise invalid_argument("alpha", "a float in (0, 1)", alpha)
    n = np.asarray(n)
    if np.any(n < 2):
        raise invalid_argument("n", "integers >= 2", n.tolist())
    df = n - 1
    critical = stats.t.ppf(1 - alpha / 2, df)
    noncentrality = difference / sd * np.sqrt(n)
    # The lower tail as the upper tail of -T (noncentrality negated): SciPy's nct.cdf far below a large
    # noncentrality returns NaN where this returns its underflowed 0.
    return stats.nct.sf(critical, df, noncentrality) + stats.nct.sf(critical, df, -noncentrality)


def seeds_needed(difference, sd, alpha=0.05, power=0.8, max_seeds=1000):
    """The fewest seeds at which the paired t-test detects ``difference`` with probability ``power``.

    ``n`` goes up from 2 until `paired_t_power` reaches ``power``; ``sd`` is
    the standard deviation of the paired (per-seed) differences. The
    normal approximation ``((z_{1-alpha/2} + z_power) · sd / difference)²``
    is a lower bound: the t-test's estimated spread costs about
    ``z_{1-alpha/2}² / 2`` ≈ 2 seeds more. An ``sd`` measured on a few seeds
    is itself uncertain (from 3 seeds, the true one may be several times
    larger), so read the result as an order of magnitude.

    Args:
        difference: The difference to detect (its sign does not matter).
        sd: Float > 0.
        alpha: Float in (0, 1), two-sided.
        power: Float in (0, 1).
        max_seeds: Integer >= 2, where to stop looking.

    Returns:
        An int, or None when more than ``max_seeds`` seeds are needed (a
        zero difference is never detected more often than ``alpha``).

    Example:

    >>> seeds_needed(0.5, 1.0), seeds_needed(0.8, 1.0)  # G*Power: 34 and 15
    (34, 15)
    """
    if not 0 < power < 1:
        raise invalid_argument("power", "a float in (0, 1)", power)
    if isinstance(max_seeds, bool) or not isinstance(max_seeds, int) or max_seeds < 2:
        raise invalid_argument("max_seeds", "an integer >= 2", max_seeds)
    if not math.isfinite(difference):
        raise invalid_argument("difference", "a finite number", difference)
    # Power grows with n, so the first n that reaches it is the answer; one vectorized call tries them all.
    n = np.arange(2, max_seeds + 1)
    reached = np.flatnonzero(paired_t_power(abs(difference), sd, n, alpha) >= power)
    return int(n[reached[0]]) if reached.size else None
