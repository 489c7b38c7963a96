"""Schedules round-trip their configs and survive saving a compiled model into a fresh process."""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from kerasreg.schedules import Constant, CyclicalLearningRate, Join, OneCycle, Scaled, WarmUp

STEPS = [0, 1, 7, 50, 99, 150, 260, 400, 1000]


def all_schedules():
    cosine = keras.optimizers.schedules.CosineDecay(0.1, decay_steps=300)
    return {
        "constant": Constant(0.02),
        "cyclical": CyclicalLearningRate(1e-3, 1e-2, 25, mode="exp_range", gamma=0.99),
        "one_cycle": OneCycle(0.2, 300, pct_start=0.2, three_phase=True),
        "warmup": WarmUp(cosine, 30, initial_learning_rate=1e-3, mode="exponential", shift=False),
        "scaled": Scaled(CyclicalLearningRate(1e-3, 1e-2, 10, mode="triangular2"), 0.5),
        "join_nested": Join(
            [WarmUp(OneCycle(0.1, 100), 10), Scaled(cosine, 0.3), Join([0.01, Constant(0.001)], [50])],
            boundaries=[110, 250],
        ),
    }


def _values(schedule):
    return [float(schedule(step)) for step in STEPS]


@pytest.mark.parametrize("name", sorted(all_schedules()))
def test_config_round_trips(name):
    schedule = all_schedules()[name]
    config = schedule.get_config()
    clone = type(schedule).from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert type(restored) is type(schedule)
    np.testing.assert_allclose(_values(restored), _values(schedule), rtol=1e-7)


LOAD = textwrap.dedent(
    """
    import json, sys
    import keras
    import kerasreg  # registers the schedules: no custom_objects below

    model = keras.models.load_model(sys.argv[1])
    schedule = model.optimizer._learning_rate
    steps = json.loads(sys.argv[2])
    print(json.dumps([float(schedule(s)) for s in steps]))
    print(int(keras.ops.convert_to_numpy(model.optimizer.iterations)))
    """
)


def test_compiled_model_with_every_schedule_loads_in_a_fresh_process(tmp_path):
    # One Join holding every schedule: one save, one fresh process.
    pieces = list(all_schedules().values())
    schedule = Join(pieces, boundaries=[100 * (i + 1) for i in range(len(pieces) - 1)])
    steps = [0, 5, 99, 100, 150, 250, 399, 455, 520, 600, 5000]
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile(keras.optimizers.SGD(schedule, momentum=0.9), "mse")
    model.fit(np.ones((12, 3)), np.ones((12, 1)), batch_size=4, verbose=0)
    path = tmp_path / "scheduled.keras"
    model.save(path)

    import json

    result = subprocess.run(
        [sys.executable, "-c", LOAD, str(path), json.dumps(steps)],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    np.testing.assert_allclose(json.loads(lines[-2]), [float(schedule(s)) for s in steps], rtol=1e-7)
    assert int(lines[-1]) == 3
