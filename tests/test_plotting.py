import os

import keras
import numpy as np
import pytest
from keras import ops

from kerasreg.plotting import plot_schedule
from kerasreg.plotting.schedules import evaluate_schedule

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    with open(path, "rb") as stream:
        data = stream.read()
    assert data.startswith(PNG_MAGIC) and len(data) > 1000


def leftovers(folder):
    return [name for name in os.listdir(folder) if name.startswith(".tmp")]


def test_single_schedule(tmp_path):
    schedule = keras.optimizers.schedules.CosineDecay(0.1, decay_steps=50, warmup_target=None)
    path = plot_schedule(schedule, 50, tmp_path / "cosine.png", title="cosine", log_y=True)
    assert path == str(tmp_path / "cosine.png")
    assert_png(path)
    assert leftovers(tmp_path) == []


def test_dict_of_schedules_overwrites_atomically(tmp_path):
    target = tmp_path / "compare.png"
    target.write_bytes(b"old")
    schedules = {
        "exponential": keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5),
        "piecewise": keras.optimizers.schedules.PiecewiseConstantDecay([20, 40], [0.1, 0.01, 0.001]),
        "python step": lambda step: 0.1 if step < 30 else 0.01,  # not vectorisable
    }
    assert plot_schedule(schedules, 60, str(target)) == str(target)
    assert_png(target)
    assert leftovers(tmp_path) == []


def test_evaluate_schedule_vectorised_and_per_step():
    calls = []

    def ops_schedule(step):
        calls.append(step)
        return 0.5 * ops.cast(step, "float32")

    np.testing.assert_allclose(evaluate_schedule(ops_schedule, 4), [0.0, 0.5, 1.0, 1.5])
    assert len(calls) == 1  # one vectorised call
    np.testing.assert_allclose(
        evaluate_schedule(lambda step: 1.0 if step < 2 else 0.1, 4), [1.0, 1.0, 0.1, 0.1]
    )
    np.testing.assert_allclose(evaluate_schedule(lambda step: 0.3, 3), [0.3, 0.3, 0.3])


def test_single_step(tmp_path):
    assert_png(plot_schedule(lambda step: 0.1, 1, tmp_path / "one.png"))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_steps": 0}, "num_steps=0"),
        ({"num_steps": 10.0}, "num_steps=10.0"),
        ({"path": "chart.jpg"}, "path='chart.jpg'"),
        ({"path": 3}, "path=3"),
        ({"schedules": 0.1}, "schedules=0.1"),
        ({"schedules": {}}, "schedules={}"),
        ({"schedules": {"a": 0.1}}, "schedules={'a': 0.1}"),
        ({"log_y": "yes"}, "log_y='yes'"),
        ({"title": 5}, "title=5"),
    ],
)
def test_invalid_arguments(tmp_path, kwargs, message):
    arguments = {"schedules": lambda step: 0.1, "num_steps": 10, "path": str(tmp_path / "x.png")}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match="Invalid value received for argument") as info:
        plot_schedule(**arguments)
    assert message in str(info.value)
    assert not (tmp_path / "x.png").exists()
