"""Schedule constructors reject bad arguments with a ValueError naming argument and value."""

import pytest

from kerasreg.schedules import Constant, CyclicalLearningRate, Join, OneCycle, Scaled, WarmUp

CASES = [
    (lambda: CyclicalLearningRate(0.01, 0.1, 0), "step_size=0"),
    (lambda: CyclicalLearningRate(0.01, 0.1, -5), "step_size=-5"),
    (lambda: CyclicalLearningRate(0.1, 0.01, 10), "max_learning_rate=0.01"),
    (lambda: CyclicalLearningRate(-0.1, 0.01, 10), "base_learning_rate=-0.1"),
    (lambda: CyclicalLearningRate(0.01, 0.1, 10, mode="sine"), "mode='sine'"),
    (lambda: CyclicalLearningRate(0.01, 0.1, 10, mode="exp_range", gamma=1.5), "gamma=1.5"),
    (lambda: OneCycle(0.1, 100, pct_start=0.0), "pct_start=0.0"),
    (lambda: OneCycle(0.1, 100, pct_start=1.0), "pct_start=1.0"),
    (lambda: OneCycle(0.1, 100, anneal_strategy="exp"), "anneal_strategy='exp'"),
    (lambda: OneCycle(0.0, 100), "max_learning_rate=0.0"),
    (lambda: OneCycle(0.1, 3, pct_start=0.2), "total_steps=3"),
    (lambda: WarmUp(0.1, 0), "warmup_steps=0"),
    (lambda: WarmUp(0.1, 10, mode="cosine"), "mode='cosine'"),
    (lambda: WarmUp(0.1, 10, mode="exponential"), "initial_learning_rate=0.0"),
    (lambda: Join([0.1, 0.2], [0]), "boundaries=[0]"),
    (lambda: Join([0.1, 0.2], [5, 10]), "boundaries=[5, 10]"),
    (lambda: Join([0.1, 0.2, 0.3], [10, 5]), "boundaries=[10, 5]"),
    (lambda: Join([], []), "schedules=[]"),
    (lambda: Scaled(0.1, -1.0), "scale=-1.0"),
    (lambda: Constant(float("inf")), "learning_rate=inf"),
]


@pytest.mark.parametrize("make, received", CASES, ids=[r for _, r in CASES])
def test_constructor_rejects(make, received):
    with pytest.raises(ValueError) as error:
        make()
    assert f"Received: {received}" in str(error.value)
