"""The comparison statistics against independent references.

t-intervals and paired tests against closed forms and table constants;
bootstrap intervals and the probability of improvement against
`scipy.stats.bootstrap` and `scipy.stats.mannwhitneyu`; Holm's adjustment
against hand examples, the textbook step-down procedure and a simulation of
null comparisons; the seeds the paired t-test needs against published
G*Power sample sizes, the normal approximation and a simulation.
"""

import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from kerasreg.comparison import (bootstrap_interval, csv_text, holm, markdown, mean_interval, paired_difference,
                                 paired_t_power, probability_of_improvement, seeds_needed, summarize)
from kerasreg.comparison.spec import ComparisonSpec, Variant

# Student t quantiles t_{0.975, df} from the standard tables.
T_975 = {1: 12.7062, 2: 4.3027, 4: 2.7764}


def test_interval_of_five_values_matches_the_textbook_formula():
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    interval = mean_interval(values)
    # mean 3, sample sd sqrt(2.5), sem sqrt(2.5 / 5) = 0.70711
    half = T_975[4] * math.sqrt(2.5 / 5)
    assert interval.mean == 3.0 and interval.n == 5
    assert interval.low == pytest.approx(3.0 - half, abs=1e-3)
    assert interval.high == pytest.approx(3.0 + half, abs=1e-3)
    assert interval.half_width == pytest.approx(1.9632, abs=1e-3)


def test_interval_of_two_values_uses_one_degree_of_freedom():
    interval = mean_interval([0.90, 0.92])
    # sd = 0.014142, sem = 0.01
    assert interval.half_width == pytest.approx(T_975[1] * 0.01, abs=1e-4)


def test_confidence_level_changes_the_width():
    values = [0.88, 0.885, 0.89, 0.887]
    assert mean_interval(values, 0.99).half_width > mean_interval(values, 0.95).half_width > mean_interval(values, 0.5).half_width


def test_one_value_has_no_interval_and_equal_values_a_zero_width_one():
    single = mean_interval([0.9])
    assert single.mean == 0.9 and math.isnan(single.low) and math.isnan(single.high)
    same = mean_interval([0.9, 0.9, 0.9])
    assert same.low == same.high == 0.9


def test_paired_t_test_p_value_matches_the_closed_form_for_two_degrees_of_freedom():
    # Differences 1, 2, 3: mean 2, sd 1, t = 2 / (1 / sqrt 3) = 3.4641 with df = 2,
    # whose CDF is 1/2 + t / (2 sqrt(2 + t^2)) exactly.
    result = paired_difference([2.0, 4.0, 6.0], [1.0, 2.0, 3.0])
    t = 2 / (1 / math.sqrt(3))
    p = 2 * (1 - (0.5 + t / (2 * math.sqrt(2 + t * t))))
    assert result.p_value == pytest.approx(p, rel=1e-6)
    assert result.p_value == pytest.approx(0.07418, abs=1e-5)
    assert result.difference.mean == pytest.approx(2.0)
    assert result.difference.half_width == pytest.approx(T_975[2] / math.sqrt(3), abs=1e-3)


def test_pairing_removes_shared_seed_variation():
    # The variant beats the baseline by 0.5 points on every seed, while the
    # seeds themselves vary by several points: paired, that is certain.
    baseline = np.array([0.85, 0.90, 0.87, 0.92])
    result = paired_difference(baseline + 0.005 + np.array([0, 1e-4, -1e-4, 0]), baseline)
    assert result.p_value < 1e-4
    assert result.difference.low > 0


def test_identical_results_have_p_one_and_a_constant_shift_p_zero():
    assert paired_difference([0.9, 0.8], [0.9, 0.8]).p_value == 1.0
    shifted = paired_difference([1.5, 2.5], [1.0, 2.0])
    assert shifted.p_value == 0.0 and shifted.difference.mean == 0.5


def test_one_pair_has_no_p_value():
    assert math.isnan(paired_difference([0.9], [0.8]).p_value)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: mean_interval([]), "Received: values=[]"),
        (lambda: mean_interval([0.9, float("nan")]), "Expected a non-empty sequence of finite numbers"),
        (lambda: mean_interval([0.9, 0.8], confidence=1.5), "Received: confidence=1.5"),
        (lambda: paired_difference([0.9, 0.8], [0.9]), "Received: 2 and 1 values"),
    ],
)
def test_bad_input_is_rejected_with_the_value(call, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        call()


# Bootstrap intervals.

SKEWED = np.random.default_rng(7).exponential(size=20)


def _resampled(values, resamples, seed):
    """The resampled seeds, drawn as `bootstrap_interval` documents."""
    return values[np.random.default_rng(seed).integers(0, values.size, (resamples, values.size))]


@pytest.mark.parametrize("method", ["BCa", "percentile"])
def test_bootstrap_interval_is_scipys_for_the_same_resamples(method):
    # scipy.stats.bootstrap computes its interval from a given bootstrap
    # distribution (with BCa's jackknife on the data): the formulas must agree exactly.
    distribution = _resampled(SKEWED, 10_000, 3).mean(axis=1)
    reference = stats.bootstrap((SKEWED,), np.mean, n_resamples=0, method=method,
                                bootstrap_result=SimpleNamespace(bootstrap_distribution=distribution))  # fmt: skip
    interval = bootstrap_interval(SKEWED, method=method, seed=3)
    assert interval.mean == pytest.approx(SKEWED.mean())
    assert interval.low == pytest.approx(reference.confidence_interval.low, rel=1e-12)
    assert interval.high == pytest.approx(reference.confidence_interval.high, rel=1e-12)


def test_bca_interval_agrees_with_scipys_own_resampling_and_corrects_for_skew():
    interval = bootstrap_interval(SKEWED)
    # `random_state`: the name SciPy 1.11 (the floor) knows; later versions still take it.
    reference = stats.bootstrap((SKEWED,), np.mean, method="BCa",
                                random_state=np.random.default_rng(11)).confidence_interval  # fmt: skip
    # Two Monte Carlo draws of 10,000 resamples: their ends differ by ~0.015 here (0.034 at most over 20 seeds).
    assert interval.low == pytest.approx(reference.low, abs=0.06)
    assert interval.high == pytest.approx(reference.high, abs=0.06)
    # Right-skewed data: BCa moves both ends up from the percentile interval's.
    percentile = bootstrap_interval(SKEWED, method="percentile")
    assert interval.low > percentile.low and interval.high > percentile.high


def test_bootstrap_interval_is_seeded_and_never_leaves_the_values():
    values = [0.8621, 0.8617, 0.8622]
    assert bootstrap_interval(values, seed=5) == bootstrap_interval(values, seed=5)
    assert bootstrap_interval(SKEWED, seed=1) != bootstrap_interval(SKEWED, seed=2)
    # Three seeds: a resampled mean lies within the values, so the interval
    # is far narrower than the t-interval (t_{0.975, 2} = 4.30).
    booted, t = bootstrap_interval(values), mean_interval(values)
    assert min(values) <= booted.low < booted.high <= max(values)
    assert booted.high - booted.low < (t.high - t.low) / 2


def test_bootstrap_interval_of_one_value_is_nan_and_of_equal_values_zero_width():
    single = bootstrap_interval([0.9])
    assert single.mean == 0.9 and math.isnan(single.low) and single.n == 1
    same = bootstrap_interval([0.9, 0.9, 0.9])
    assert same.low == same.high == 0.9


# Probability of improvement.


def test_probability_of_improvement_over_paired_seeds_counts_ties_as_half():
    # Differences +0.02, -0.01, 0, +0.02: wins 1, 0, 1/2, 1.
    result = probability_of_improvement([0.92, 0.93, 0.90, 0.95], [0.90, 0.94, 0.90, 0.93])
    assert result.mean == 0.625 and result.n == 4
    winner = probability_of_improvement([2.0, 3.0, 4.0], [1.0, 2.0, 3.0])
    assert (winner.mean, winner.low, winner.high) == (1.0, 1.0, 1.0)
    assert probability_of_improvement([1.0, 2.0], [1.0, 2.0]).mean == 0.5


def test_paired_probability_of_improvement_interval_is_the_percentile_bootstrap_of_the_wins():
    rng = np.random.default_rng(4)
    baseline = rng.normal(size=12)
    variant = baseline + rng.normal(0.3, 1.0, size=12)
    wins = (variant > baseline).astype(float)  # no ties
    distribution = _resampled(wins, 10_000, 0).mean(axis=1)
    result = probability_of_improvement(variant, baseline)
    assert result.mean == wins.mean()
    assert [result.low, result.high] == pytest.approx(np.percentile(distribution, [2.5, 97.5]), abs=1e-12)


def test_unpaired_probability_of_improvement_is_rliables_mann_whitney_share():
    rng = np.random.default_rng(2)
    variant, baseline = rng.integers(0, 6, size=7) / 10, rng.integers(0, 6, size=5) / 10  # with ties
    result = probability_of_improvement(variant, baseline, paired=False)
    assert result.mean == pytest.approx(stats.mannwhitneyu(variant, baseline).statistic / (7 * 5))
    # Each side resampled on its own (rliable's StratifiedIndependentBootstrap), percentile interval.
    draw = np.random.default_rng(0)
    x = variant[draw.integers(0, 7, (10_000, 7))]
    y = baseline[draw.integers(0, 5, (10_000, 5))]
    distribution = stats.mannwhitneyu(x, y, axis=-1).statistic / (7 * 5)
    assert [result.low, result.high] == pytest.approx(np.percentile(distribution, [2.5, 97.5]), abs=1e-12)


# Holm-Bonferroni.


def test_holm_adjusts_hand_examples():
    # Sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04, then running maxima.
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.6]).tolist() == [1.0, 1.0]  # 2 x 0.5 caps at 1; 0.6 keeps the running maximum
    adjusted = holm([0.01, float("nan"), 0.02])  # NaN is no test: a family of two
    assert adjusted[0] == pytest.approx(0.02) and math.isnan(adjusted[1]) and adjusted[2] == pytest.approx(0.02)
    assert holm([0.03]).tolist() == [0.03]


def _step_down(p, alpha):
    """Holm (1979) as stated: reject the smallest p-values while p_(j) <= alpha / (m - j + 1)."""
    rejected = np.zeros(len(p), dtype=bool)
    for j, index in enumerate(np.argsort(p)):
        if p[index] > alpha / (len(p) - j):
            break
        rejected[index] = True
    return rejected


def test_holm_rejects_what_the_step_down_procedure_rejects():
    families = np.random.default_rng(3).uniform(0, 0.08, size=(300, 5)) ** 1.5
    adjusted = holm(families)
    assert adjusted.shape == families.shape
    assert np.all(adjusted >= families) and np.all(adjusted <= np.minimum(1, 5 * families) + 1e-15)
    for alpha in (0.01, 0.05):
        for p, q in zip(families, adjusted):
            assert np.array_equal(q <= alpha, _step_down(p, alpha))


def test_holm_holds_the_family_wise_error_rate_of_null_comparisons():
    # 1,000 comparisons of 5 variants against a baseline, 5 seeds each, no true difference.
    rng = np.random.default_rng(0)
    # Independent tests (each variant with its own paired differences): any
    # p < 0.05 happens with probability 1 - 0.95^5 = 22.6 %; Holm rejects
    # anything only when min p <= 0.05 / 5, so its rate is 1 - 0.99^5 = 4.9 %.
    p = stats.ttest_1samp(rng.normal(size=(1000, 5, 5)), 0.0, axis=-1).pvalue
    raw, adjusted = np.mean(np.any(p < 0.05, axis=-1)), np.mean(np.any(holm(p) < 0.05, axis=-1))
    assert 0.18 <= raw <= 0.28 and 0.03 <= adjusted <= 0.07
    # Seed-paired runs sharing one baseline, as in a comparison: the tests
    # correlate, so the raw rate falls below the independent 22.6 % (Sidak's
    # inequality); Holm's bound holds whatever the dependence.
    seed_effect = rng.normal(size=(1000, 1, 5))
    baseline = seed_effect[:, 0] + rng.normal(0, 0.5, size=(1000, 5))
    variants = seed_effect + rng.normal(0, 0.5, size=(1000, 5, 5))
    p = stats.ttest_rel(variants, baseline[:, None, :], axis=-1).pvalue
    raw, adjusted = np.mean(np.any(p < 0.05, axis=-1)), np.mean(np.any(holm(p) < 0.05, axis=-1))
    assert 0.12 <= raw <= 0.24 and 0.03 <= adjusted <= 0.07


# Seeds the paired t-test needs.


@pytest.mark.parametrize("effect, n", [(0.5, 34), (0.8, 15), (0.2, 199)])
def test_seeds_needed_are_g_power_sample_sizes(effect, n):
    # G*Power, t test, mean difference from constant (one sample / matched
    # pairs), two tails, alpha 0.05, power 0.8: dz = 0.5 -> 34, 0.8 -> 15, 0.2 -> 199.
    assert seeds_needed(effect, 1.0) == n
    assert seeds_needed(-effect * 0.3, 0.3) == n  # only difference / sd matters, not its sign
    assert paired_t_power(effect, 1.0, n) >= 0.8 > paired_t_power(effect, 1.0, n - 1)


def test_seeds_needed_exceed_the_normal_approximation_by_about_z_squared_over_two():
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    for effect in np.linspace(0.1, 3.0, 30):
        normal = math.ceil((z / effect) ** 2)
        assert normal < seeds_needed(effect, 1.0) <= normal + 3, effect


def test_paired_t_power_matches_a_simulation_of_paired_experiments():
    n = seeds_needed(0.8, 1.0)
    rng = np.random.default_rng(1)
    for seeds in (n - 1, n):
        p = stats.ttest_1samp(rng.normal(0.8, 1.0, size=(20_000, seeds)), 0.0, axis=-1).pvalue
        # 3 standard errors of a 20,000-draw proportion near 0.8: 0.0085.
        assert np.mean(p < 0.05) == pytest.approx(paired_t_power(0.8, 1.0, seeds), abs=0.0085)


def test_seeds_needed_at_the_edges():
    assert paired_t_power(0.0, 1.0, 10) == pytest.approx(0.05)  # no difference: rejections at the test's level
    assert seeds_needed(0.0, 1.0) is None
    assert seeds_needed(0.01, 1.0, max_seeds=100) is None
    # A difference of 100 sds is found with 2 seeds (SciPy's nct.cdf gives NaN this far out).
    assert paired_t_power(15.2, 0.12, 2) == pytest.approx(1.0) and seeds_needed(15.2, 0.12) == 2


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: bootstrap_interval([0.9, 0.8], method="bca"), "Received: method='bca'"),
        (lambda: bootstrap_interval([0.9, 0.8], resamples=10), "Expected an integer >= 100"),
        (lambda: bootstrap_interval([0.9, 0.8], seed=-1), "Received: seed=-1"),
        (lambda: probability_of_improvement([0.9, 0.8], [0.9]), "Received: 2 and 1 values"),
        (lambda: holm([0.5, 1.5]), "Expected p-values in \\[0, 1\\]"),
        (lambda: paired_t_power(0.5, 0.0, 10), "Received: sd=0.0"),
        (lambda: seeds_needed(0.5, 1.0, power=1.0), "Received: power=1.0"),
    ],
)
def test_bad_statistics_arguments_are_rejected_with_the_value(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# The table's rows.


def _results(accuracy, loss):
    return {"test": {"accuracy": accuracy, "loss": loss}}


def test_summarize_gives_each_variant_the_statistics_of_its_paired_seeds():
    spec = ComparisonSpec("t", 4, [Variant("base", {}), Variant("a", {}), Variant("b", {}), Variant("c", {})],
                          "base", {})  # fmt: skip
    accuracy = {"base": [0.90, 0.91, 0.89, 0.92], "a": [0.93, 0.93, 0.90, 0.94], "b": [0.90, 0.92, 0.88, 0.92],
                "c": [0.91, 0.95, 0.89, 0.93]}  # fmt: skip
    runs = {v: {s: _results(x, 1 - x) for s, x in enumerate(values)} for v, values in accuracy.items()}
    rows = {row["variant"]: row for row in summarize(spec, runs)}
    assert rows["base"]["difference"] is None and rows["base"]["bootstrap"]["low"] == bootstrap_interval(
        accuracy["base"]).low  # fmt: skip
    p = [paired_difference(accuracy[v], accuracy["base"]).p_value for v in "abc"]
    for variant, adjusted in zip("abc", holm(p)):
        cell = rows[variant]["difference"]
        d = np.subtract(accuracy[variant], accuracy["base"])
        assert cell["p_holm"] == pytest.approx(adjusted) and cell["sd"] == pytest.approx(d.std(ddof=1))
        assert cell["bootstrap"]["low"] == bootstrap_interval(d).low
        assert cell["p_improve"]["mean"] == np.mean((np.sign(d) + 1) / 2)
        needed = cell["seeds_needed"]
        assert needed["observed"] == seeds_needed(d.mean(), d.std(ddof=1))
        assert needed["target"] == 0.005 and needed["at_target"] == seeds_needed(0.005, d.std(ddof=1))
    # The Markdown table prints them, says which p-values are Holm's, and lists the seeds needed.
    table = markdown(list(rows.values()))
    assert "| p (paired t) | p Holm | P(improve) [95% CI] |" in table
    assert "adjusted by Holm's step-down method for the 3 tests against the baseline" in table
    a = rows["a"]["difference"]
    assert (f"| a | 4 | 92.50 ± {50 * (rows['a']['test_accuracy']['high'] - rows['a']['test_accuracy']['low']):.2f} "
            f"| [{100 * rows['a']['bootstrap']['low']:.2f}, {100 * rows['a']['bootstrap']['high']:.2f}] |") in table
    assert f"| {a['p_value']:.3g} | {a['p_holm']:.3g} | 1.00 [1.00, 1.00] |" in table
    assert (f"- a: sd {100 * a['sd']:.2f} pts; {a['seeds_needed']['observed']} seeds for its +2.00 pts, "
            f"{a['seeds_needed']['at_target']} for 0.50 pts") in table
    header, line = csv_text(list(rows.values())).splitlines()[0:3:2]
    assert dict(zip(header.split(","), line.split(",")))["p_holm"] == repr(a["p_holm"])
    # On a lower-is-better metric, improving is going down.
    losses = {row["variant"]: row for row in summarize(spec, runs, metric="loss")}
    assert losses["a"]["difference"]["p_improve"]["mean"] == rows["a"]["difference"]["p_improve"]["mean"] == 1.0
    assert losses["a"]["difference"]["seeds_needed"].get("target") is None
