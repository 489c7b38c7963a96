"""Adaptive and classwise ECE, AURC, OOD detection scores, bootstrap intervals and temperature scaling,
against hand counts and independent references (scikit-learn, SciPy, a brute-force grid)."""

import numpy as np
import pytest

from kerasreg.uncertainty import (
    adaptive_calibration_error,
    expected_calibration_error,
    area_under_risk_coverage,
    bootstrap_interval,
    classwise_calibration_error,
    ood_detection,
    risk_coverage,
)


def test_adaptive_ece_by_hand_with_unequal_groups():
    # Confidences 0.55 0.6 0.7 | 0.8 0.95 (5 into 2 groups: 3 + 2); correct: 1 0 1 | 0 1.
    p = [[0.55, 0.45], [0.4, 0.6], [0.7, 0.3], [0.2, 0.8], [0.95, 0.05]]
    y = [0, 0, 0, 0, 0]
    low = abs(2 / 3 - (0.55 + 0.6 + 0.7) / 3)
    high = abs(1 / 2 - (0.8 + 0.95) / 2)
    assert adaptive_calibration_error(p, y, num_bins=2) == pytest.approx(3 / 5 * low + 2 / 5 * high)
    # One bin per example: the mean of |correct - confidence|.
    assert adaptive_calibration_error(p, y, num_bins=5) == pytest.approx(
        np.mean(np.abs(np.array([1, 0, 1, 0, 1]) - np.array([0.55, 0.6, 0.7, 0.8, 0.95]))))


def test_classwise_ece_by_hand_with_three_classes():
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.3, 0.3, 0.4]])
    y = [0, 2, 2]
    # Two bins (0, 0.5], (0.5, 1]: per class, |hits - scores| summed within each bin, over N.
    class0 = abs(0 - (0.1 + 0.3)) + abs(1 - 0.7)  # 0.1, 0.3 low; 0.7 high
    class1 = abs(0 - (0.2 + 0.3)) + abs(0 - 0.6)
    class2 = abs(2 - (0.1 + 0.3 + 0.4)) + 0.0
    expected = np.mean([class0 / 3, class1 / 3, class2 / 3])
    assert classwise_calibration_error(p, y, num_bins=2) == pytest.approx(expected)


def test_aurc_of_a_perfect_ranking_has_its_closed_form():
    # 7 of 10 right, the 3 errors least confident: risk 0 up to coverage 7/10, then (k - 7) / k.
    confidence = np.linspace(0.99, 0.6, 10)
    p = np.stack([confidence, 1 - confidence], axis=1)
    y = np.array([0] * 7 + [1] * 3)
    expected = np.mean([max(0, k - 7) / k for k in range(1, 11)])
    assert area_under_risk_coverage(p, y) == pytest.approx(expected)
    coverage, risk = risk_coverage(p, y)
    assert coverage[-1] == 1.0 and risk[-1] == pytest.approx(0.3)  # full coverage: the error rate
    # The worst ranking (errors first) scores higher.
    assert area_under_risk_coverage(p[::-1], y) > expected


@pytest.mark.parametrize("seed", [0, 1])
def test_ood_scores_equal_scikit_learns_with_ties(seed):
    from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

    rng = np.random.default_rng(seed)
    inside = np.round(rng.normal(0.0, 1.0, 300), 1)  # rounded: many ties
    outside = np.round(rng.normal(1.0, 1.0, 120), 1)
    scores = ood_detection(inside, outside)
    truth = np.r_[np.ones(len(outside)), np.zeros(len(inside))]
    values = np.r_[outside, inside]
    assert scores["auroc"] == pytest.approx(roc_auc_score(truth, values))
    assert scores["aupr"] == pytest.approx(average_precision_score(truth, values))
    fpr, tpr, _ = roc_curve(truth, values)
    assert scores["fpr_at_95_tpr"] == pytest.approx(fpr[np.searchsorted(tpr, 0.95)])


def test_ood_scores_of_a_perfect_and_a_useless_detector():
    perfect = ood_detection([0.1, 0.2], [0.8, 0.9])
    assert perfect == {"auroc": 1.0, "aupr": 1.0, "fpr_at_95_tpr": 0.0}
    useless = ood_detection([0.5] * 4, [0.5] * 4)
    assert useless["auroc"] == 0.5 and useless["fpr_at_95_tpr"] == 1.0


def test_bootstrap_interval_agrees_with_scipy_and_is_seeded():
    from scipy.stats import bootstrap

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 1000)
    correct = rng.random(1000) < 0.8
    predicted = np.where(correct, labels, (labels + 1) % 3)
    p = np.full((1000, 3), 0.1)
    p[np.arange(1000), predicted] = 0.8

    def accuracy(probabilities, y):
        return float(np.mean(np.argmax(probabilities, axis=1) == y))

    estimate, low, high = bootstrap_interval(accuracy, p, labels, resamples=10000, seed=1)
    reference = bootstrap((correct.astype(float),), np.mean, n_resamples=10000, method="percentile",
                          confidence_level=0.95, random_state=2).confidence_interval  # fmt: skip
    assert estimate == pytest.approx(correct.mean())
    # Two independent Monte Carlo estimates of the same quantiles (standard error ~0.0013 here).
    assert low == pytest.approx(reference.low, abs=0.006) and high == pytest.approx(reference.high, abs=0.006)
    assert bootstrap_interval(accuracy, p, labels, resamples=200, seed=3) == bootstrap_interval(
        accuracy, p, labels, resamples=200, seed=3)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ood_detection([], [1.0]), "in_distribution"),
        (lambda: ood_detection([0.0], [np.nan]), "out_of_distribution"),
        (lambda: ood_detection([0.0], [1.0], true_positive_rate=0), "true_positive_rate"),
        (lambda: bootstrap_interval(np.mean, [[1.0, 0.0]], [0], confidence=1.0), "confidence"),
        (lambda: bootstrap_interval(np.mean, [[1.0, 0.0]], [0], resamples=0), "resamples"),
        (lambda: adaptive_calibration_error([[1.0, 0.0]], [0], num_bins=0), "num_bins"),
    ],
)
def test_invalid_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_fit_temperature_recovers_the_temperature_that_made_the_labels():
    from kerasreg.uncertainty import fit_temperature, scaled_probabilities

    rng = np.random.default_rng(0)
    logits = rng.normal(0.0, 3.0, (20000, 5))
    # Labels drawn from softmax(logits / 2): the logits are twice as sharp as the truth.
    truth = scaled_probabilities(logits, 2.0)
    labels = (truth.cumsum(axis=1) < rng.random((20000, 1))).sum(axis=1)
    fitted = fit_temperature(logits, labels)
    assert fitted == pytest.approx(2.0, abs=0.06)
    # An independent check of the optimum: a brute-force grid of the NLL.
    from kerasreg.uncertainty import negative_log_likelihood

    grid = np.linspace(1.5, 2.5, 201)
    best = grid[np.argmin([negative_log_likelihood(scaled_probabilities(logits, t), labels) for t in grid])]
    assert fitted == pytest.approx(best, abs=0.006)
    before = expected_calibration_error(scaled_probabilities(logits, 1.0), labels)
    after = expected_calibration_error(scaled_probabilities(logits, fitted), labels)
    assert after < 0.02 < before


def test_fit_temperature_refuses_bad_logits():
    from kerasreg.uncertainty import fit_temperature

    with pytest.raises(ValueError, match="logits"):
        fit_temperature([[np.inf, 0.0]], [0])
    with pytest.raises(ValueError, match="labels"):
        fit_temperature([[1.0, 0.0]], [2])
