"""Each schedule against a float64 reference of its published formula, float32 within 1e-6."""

import keras
import numpy as np
import pytest
from keras import ops

from kerasreg.schedules import Constant, CyclicalLearningRate, Join, OneCycle, Scaled, WarmUp, create_schedule
from tests.schedules import reference

RTOL = 1e-6


def values(schedule, steps):
    return ops.convert_to_numpy(schedule(ops.convert_to_tensor(np.array(steps), "int32"))).astype("float64")


def check(schedule, steps, expected_fn):
    expected = np.array([expected_fn(s) for s in steps])
    np.testing.assert_allclose(values(schedule, steps), expected, rtol=RTOL, atol=0)
    # Scalar calls (what the optimizer does) agree with the vectorised ones.
    for step in steps[:3] + steps[-2:]:
        np.testing.assert_allclose(float(schedule(step)), expected_fn(step), rtol=RTOL)


@pytest.mark.parametrize(
    "mode, gamma", [("triangular", 1.0), ("triangular2", 1.0), ("exp_range", 0.999), ("exp_range", 0.99)]
)
def test_cyclical(mode, gamma):
    step_size = 2000
    # 0, 1, the peak, mid-cycle, cycle boundaries, several cycles on.
    steps = [0, 1, 999, 1999, 2000, 2001, 3000, 3999, 4000, 4001, 6000, 7999, 8000, 12345]
    check(
        CyclicalLearningRate(1e-3, 6e-3, step_size, mode=mode, gamma=gamma),
        steps,
        lambda s: reference.cyclical(s, 1e-3, 6e-3, step_size, mode, gamma),
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"pct_start": 0.25, "anneal_strategy": "linear"},
        {"three_phase": True},
        {"three_phase": True, "anneal_strategy": "linear", "div_factor": 10.0, "final_div_factor": 100.0},
        {"pct_start": 0.5, "final_div_factor": 1e3},
    ],
)
def test_one_cycle(kwargs):
    total = 1000
    reference_kwargs = {
        "pct_start": kwargs.get("pct_start", 0.3),
        "div_factor": kwargs.get("div_factor", 25.0),
        "final_div_factor": kwargs.get("final_div_factor", 1e4),
        "anneal": kwargs.get("anneal_strategy", "cos"),
        "three_phase": kwargs.get("three_phase", False),
    }
    pct = reference_kwargs["pct_start"]
    rise_end = int(pct * total) - 1
    # 0, 1, phase ends and starts, mid-phase, the last step, total_steps and past it.
    steps = [0, 1, rise_end // 2, rise_end, rise_end + 1, 2 * rise_end, 2 * rise_end + 1, 700, 998, 999, 1000, 1001, 5000]
    check(OneCycle(0.1, total, **kwargs), steps, lambda s: reference.one_cycle(s, 0.1, total, **reference_kwargs))


def test_one_cycle_holds_its_final_rate_past_the_cycle():
    # A linear anneal extrapolated past the cycle goes negative (-3.3e-05 at
    # step 1000 with these arguments); the schedule holds min = 1e-4 instead.
    schedule = OneCycle(0.1, 1000, pct_start=0.25, div_factor=10.0, final_div_factor=100.0, anneal_strategy="linear")
    past = values(schedule, [999, 1000, 1001, 5000, 10**6])
    np.testing.assert_allclose(past, 1e-4, rtol=RTOL)
    cosine = OneCycle(0.1, 100)
    np.testing.assert_allclose(values(cosine, [99, 100, 101, 10**6]), 0.1 / 25 / 1e4, rtol=RTOL)


# Every schedule the factory builds, each with a finite course of 100 steps.
FINITE_SCHEDULES = {
    "step": {"learning_rate": 0.1, "decay_steps": 10},
    "exponential": {"learning_rate": 0.1, "decay_steps": 10},
    "cosine": {"learning_rate": 0.1, "decay_steps": 100, "alpha": 0.01},
    "linear": {"learning_rate": 0.1, "decay_steps": 100},
    "one_cycle": {"max_learning_rate": 0.1, "total_steps": 100, "anneal_strategy": "linear", "final_div_factor": 100.0},
    "warmup_one_cycle": {
        "max_learning_rate": 0.1, "total_steps": 90, "warmup_steps": 10, "three_phase": True, "anneal_strategy": "linear",
    },
    "warmup_linear": {"learning_rate": 0.1, "decay_steps": 90, "end_learning_rate": 1e-3, "warmup_steps": 10},
}


@pytest.mark.parametrize("name", sorted(FINITE_SCHEDULES))
def test_every_schedule_holds_a_non_negative_rate_past_its_end(name):
    schedule = create_schedule({"name": name, **FINITE_SCHEDULES[name]}, steps_per_epoch=1)
    rates = values(schedule, list(range(0, 100)) + [100, 101, 1000, 10**6])
    assert (rates >= 0).all(), rates.min()
    if name not in ("step", "exponential"):  # decays that never end
        np.testing.assert_allclose(rates[100:], rates[100], rtol=RTOL)
    wrapped = Join([Scaled(schedule, 0.5), 0.01], boundaries=[200])
    assert (values(wrapped, [0, 99, 150, 199, 200, 10**6]) >= 0).all()


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclical_never_goes_below_its_base(mode):
    rates = values(CyclicalLearningRate(0.0, 0.1, 7, mode=mode, gamma=0.99), range(0, 2000, 3))
    assert rates.min() >= 0.0


@pytest.mark.parametrize("mode, initial", [("linear", 0.0), ("linear", 1e-3), ("exponential", 1e-4)])
@pytest.mark.parametrize("shift", [True, False])
def test_warmup_around_a_keras_schedule(mode, initial, shift):
    cosine = keras.optimizers.schedules.CosineDecay(0.1, decay_steps=1000, alpha=0.01)
    steps = [0, 1, 50, 99, 100, 101, 600, 1099, 1100, 5000]
    check(
        WarmUp(cosine, 100, initial_learning_rate=initial, mode=mode, shift=shift),
        steps,
        lambda s: reference.warmup(s, lambda t: reference.cosine(t, 0.1, 1000, 0.01), 100, initial, mode, shift),
    )


def test_warmup_around_a_float_and_a_kerasreg_schedule():
    check(WarmUp(0.05, 10), [0, 5, 9, 10, 11, 1000], lambda s: reference.warmup(s, lambda t: 0.05, 10))
    inner = OneCycle(0.1, 200)
    check(
        WarmUp(inner, 20, initial_learning_rate=1e-4, mode="exponential"),
        [0, 7, 19, 20, 21, 100, 219, 220, 400],
        lambda s: reference.warmup(s, lambda t: reference.one_cycle(t, 0.1, 200), 20, 1e-4, "exponential"),
    )


def test_join_counts_each_piece_from_its_own_start():
    decay = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)
    clr = CyclicalLearningRate(0.01, 0.05, 5)
    schedule = Join([WarmUp(0.1, 5), decay, clr], boundaries=[5, 45])

    def expected(s):
        if s < 5:
            return reference.warmup(s, lambda t: 0.1, 5)
        if s < 45:
            return reference.exponential(s - 5, 0.1, 10, 0.5, staircase=True)
        return reference.cyclical(s - 45, 0.01, 0.05, 5)

    check(schedule, [0, 4, 5, 6, 14, 15, 44, 45, 46, 50, 55, 1000], expected)


def test_scaled_and_constant():
    check(Scaled(OneCycle(0.1, 100), 0.25), [0, 29, 50, 99, 100], lambda s: 0.25 * reference.one_cycle(s, 0.1, 100))
    check(Constant(0.3), [0, 1, 10**6], lambda s: 0.3)
