"""t-intervals and paired tests against values computed by hand (closed forms and table constants)."""

import math

import numpy as np
import pytest

from kerasreg.comparison import mean_interval, paired_difference

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
