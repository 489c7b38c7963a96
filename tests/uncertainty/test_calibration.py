"""NLL, Brier score, ECE and reliability bins against hand-computed values."""

import numpy as np
import pytest

from kerasreg.uncertainty import (
    brier_score,
    expected_calibration_error,
    negative_log_likelihood,
    reliability_bins,
)

# Four examples, two classes. Confidence (max prob) 0.9, 0.8, 0.7, 0.6;
# predictions 0, 0, 1, 1; labels 0, 1, 1, 1 -> correct, wrong, correct, correct.
PROBABILITIES = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
LABELS = np.array([0, 1, 1, 1])


def test_negative_log_likelihood_by_hand():
    # True-class probabilities: 0.9, 0.2, 0.7, 0.6.
    expected = -(np.log(0.9) + np.log(0.2) + np.log(0.7) + np.log(0.6)) / 4
    assert negative_log_likelihood(PROBABILITIES, LABELS) == pytest.approx(expected, rel=1e-12)


def test_brier_score_by_hand():
    # Per example, sum over classes of (p - onehot)^2:
    # 0.1^2 + 0.1^2 = 0.02; 0.8^2 + 0.8^2 = 1.28; 0.3^2 + 0.3^2 = 0.18;
    # 0.4^2 + 0.4^2 = 0.32. Mean = 1.8 / 4 = 0.45.
    assert brier_score(PROBABILITIES, LABELS) == pytest.approx(0.45, rel=1e-12)


def test_ece_and_bins_by_hand():
    # 5 bins with edges 0, .2, .4, .6, .8, 1; bins are (lo, hi], so the
    # confidences on an edge (0.8, 0.6) go to the bin below it:
    #   bin 2 (0.4, 0.6]: {0.6 correct}         acc 1,   conf 0.6
    #   bin 3 (0.6, 0.8]: {0.8 wrong, 0.7 ok}   acc 0.5, conf 0.75
    #   bin 4 (0.8, 1.0]: {0.9 correct}         acc 1,   conf 0.9
    # ECE = 1/4 * 0.4 + 2/4 * 0.25 + 1/4 * 0.1 = 0.1 + 0.125 + 0.025 = 0.25.
    bins = reliability_bins(PROBABILITIES, LABELS, num_bins=5)
    np.testing.assert_allclose(bins["edges"], [0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    np.testing.assert_array_equal(bins["count"], [0, 0, 1, 2, 1])
    np.testing.assert_allclose(bins["accuracy"], [np.nan, np.nan, 1.0, 0.5, 1.0])
    np.testing.assert_allclose(bins["confidence"], [np.nan, np.nan, 0.6, 0.75, 0.9])
    assert bins["count"].dtype == np.int64
    assert expected_calibration_error(PROBABILITIES, LABELS, num_bins=5) == pytest.approx(0.25)


def test_three_classes_by_hand():
    probabilities = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8], [0.2, 0.6, 0.2]])
    labels = np.array([2, 2, 1])
    # NLL: -(log 0.2 + log 0.8 + log 0.6) / 3.
    assert negative_log_likelihood(probabilities, labels) == pytest.approx(
        -(np.log(0.2) + np.log(0.8) + np.log(0.6)) / 3
    )
    # Brier: (0.25 + 0.09 + 0.64) + (0.01 + 0.01 + 0.04) + (0.04 + 0.16 + 0.04)
    #      = 0.98 + 0.06 + 0.24 = 1.28; / 3.
    assert brier_score(probabilities, labels) == pytest.approx(1.28 / 3)
    # Confidences 0.5 (wrong), 0.8 (right), 0.6 (right). With 2 bins:
    # (0, .5]: {0.5 wrong} -> |0 - 0.5| = 0.5; (.5, 1]: {0.8, 0.6} both
    # right, conf 0.7 -> |1 - 0.7| = 0.3. ECE = 1/3 * 0.5 + 2/3 * 0.3 = 11/30.
    assert expected_calibration_error(probabilities, labels, num_bins=2) == pytest.approx(11 / 30)


def test_perfect_predictions():
    labels = np.array([0, 2, 1, 2])
    probabilities = np.eye(3)[labels]
    assert negative_log_likelihood(probabilities, labels) == 0.0
    assert brier_score(probabilities, labels) == 0.0
    assert expected_calibration_error(probabilities, labels) == 0.0
    # A confidence of exactly 1 lands in the last bin.
    assert reliability_bins(probabilities, labels)["count"][-1] == 4


def test_confidently_wrong_predictions():
    labels = np.array([0, 1])
    probabilities = np.eye(2)[1 - labels]
    # The true class has probability 0; the 1e-7 floor keeps the NLL finite.
    assert negative_log_likelihood(probabilities, labels) == pytest.approx(-np.log(1e-7))
    assert brier_score(probabilities, labels) == 2.0
    assert expected_calibration_error(probabilities, labels) == 1.0


def test_uniform_predictions():
    num_classes = 4
    labels = np.array([0, 1, 2, 3, 0, 1, 2, 3])
    probabilities = np.full((8, num_classes), 1 / num_classes)
    assert negative_log_likelihood(probabilities, labels) == pytest.approx(np.log(num_classes))
    # (1 - 1/C)^2 + (C - 1) / C^2 = 1 - 1/C.
    assert brier_score(probabilities, labels) == pytest.approx(1 - 1 / num_classes)
    # argmax of a tie is class 0: accuracy 1/4 equals the confidence 1/4.
    assert expected_calibration_error(probabilities, labels) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    "metric",
    [negative_log_likelihood, brier_score, expected_calibration_error,
     lambda p, y: reliability_bins(p, y, num_bins=3)["accuracy"]],
)
def test_label_formats_agree(metric):
    one_hot = np.eye(2)[LABELS]
    expected = metric(PROBABILITIES, LABELS)
    for labels in (one_hot, LABELS.reshape(-1, 1), LABELS.astype("float32"), LABELS.tolist()):
        np.testing.assert_allclose(metric(PROBABILITIES, labels), expected)


def test_float32_rows_are_accepted():
    probabilities = np.array([[0.1, 0.2, 0.7]], "float32")
    assert negative_log_likelihood(probabilities, [2]) == pytest.approx(-np.log(0.7), rel=1e-6)


@pytest.mark.parametrize(
    "probabilities, labels, kwargs, message",
    [
        ([[0.5, 0.6], [0.5, 0.5]], [0, 1], {}, "probabilities[0]=[0.5, 0.6] (sum 1.1)"),
        ([[0.5, 0.5], [1.2, -0.2]], [0, 1], {}, "probabilities[1]=[ 1.2, -0.2] (sum 1)"),
        ([[0.5, np.nan]], [0], {}, "probabilities[0]=[0.5, nan]"),
        ([0.5, 0.5], [0], {}, "probabilities with shape (2,)"),
        ([[1.0], [1.0]], [0, 0], {}, "probabilities with shape (2, 1)"),
        (np.zeros((0, 2)), [], {}, "probabilities with shape (0, 2)"),
        ("high", [0], {}, "probabilities='high'"),
        ([[0.5, 0.5], [0.5, 0.5]], [0, 1, 1], {}, "labels with shape (3,)"),
        ([[0.5, 0.5], [0.5, 0.5]], [0, 2], {}, "labels[1]=2"),
        ([[0.5, 0.5], [0.5, 0.5]], [-1, 0], {}, "labels[0]=-1"),
        ([[0.5, 0.5], [0.5, 0.5]], [0.5, 1.0], {}, "labels[0]=0.5"),
        ([[0.5, 0.5], [0.5, 0.5]], [[1, 0], [1, 1]], {}, "labels[1]=[1, 1]"),
        ([[0.5, 0.5], [0.5, 0.5]], ["a", "b"], {}, "labels=['a', 'b']"),
        ([[0.5, 0.5]], [0], {"num_bins": 0}, "num_bins=0"),
        ([[0.5, 0.5]], [0], {"num_bins": 2.0}, "num_bins=2.0"),
    ],
)
def test_invalid_inputs(probabilities, labels, kwargs, message):
    metrics = [negative_log_likelihood, brier_score] if not kwargs else []
    metrics += [
        lambda p, y: expected_calibration_error(p, y, **kwargs),
        lambda p, y: reliability_bins(p, y, **kwargs),
    ]
    for metric in metrics:
        with pytest.raises(ValueError, match="Invalid value received for argument") as info:
            metric(probabilities, labels)
        assert message in str(info.value)
        assert "\n" not in str(info.value)
