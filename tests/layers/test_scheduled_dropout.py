import keras
import numpy as np
import pytest
from keras import ops

from kerasreg.layers import ScheduledDropout
from kerasreg.layers.scheduled_dropout import scheduled_rate
from tests.layer_harness import run_layer_test


def _reference(step, rate, warmup, schedule):
    if schedule == "linear":
        return rate * min(step / warmup, 1.0)
    if schedule == "exponential":
        return rate * (1.0 - np.exp(-step / warmup))
    return rate


def test_harness():
    run_layer_test(lambda: ScheduledDropout(0.4, warmup_steps=3, seed=1), (4, 6), (4, 6))


@pytest.mark.parametrize("schedule", ["linear", "exponential", "constant"])
def test_rate_follows_the_schedule(schedule):
    for step in (0, 1, 50, 99, 100, 101, 1000):
        got = float(ops.convert_to_numpy(scheduled_rate(step, 0.5, 100, schedule)))
        np.testing.assert_allclose(got, _reference(step, 0.5, 100, schedule), rtol=1e-6, atol=1e-7)


def test_drop_fraction_tracks_the_counted_steps():
    layer = ScheduledDropout(0.6, warmup_steps=4, seed=2)
    x = np.ones((1000, 100), "float32")
    for step in range(6):
        assert int(ops.convert_to_numpy(layer.iterations)) == step
        out = ops.convert_to_numpy(layer(x, training=True))
        expected = _reference(step, 0.6, 4, "linear")
        assert abs((out == 0).mean() - expected) < 0.02
        assert abs(out.mean() - 1.0) < 0.02
    assert layer.current_rate == pytest.approx(0.6)


def test_inference_and_mc_do_not_count():
    layer = ScheduledDropout(0.5, warmup_steps=2, seed=3)
    x = np.ones((200, 50), "float32")
    np.testing.assert_array_equal(ops.convert_to_numpy(layer(x)), x)
    layer(x, training=True)
    layer(x, training=True)
    mc = ScheduledDropout.from_config({**layer.get_config(), "mc": True})
    mc.build(x.shape)
    mc.iterations.assign(2)
    out = ops.convert_to_numpy(mc(x))
    assert abs((out == 0).mean() - 0.5) < 0.03
    assert int(ops.convert_to_numpy(mc.iterations)) == 2
    assert int(ops.convert_to_numpy(layer.iterations)) == 2


def test_step_count_is_saved_with_the_model(tmp_path):
    inputs = keras.Input((8,))
    model = keras.Model(inputs, keras.layers.Dense(1)(ScheduledDropout(0.5, warmup_steps=100, seed=4)(inputs)))
    model.compile("sgd", "mse")
    model.fit(np.ones((40, 8)), np.ones((40, 1)), batch_size=4, epochs=1, verbose=0)  # 10 steps
    assert int(ops.convert_to_numpy(model.layers[1].iterations)) == 10
    model.save(tmp_path / "scheduled.keras")
    loaded = keras.models.load_model(tmp_path / "scheduled.keras")
    assert int(ops.convert_to_numpy(loaded.layers[1].iterations)) == 10
    assert loaded.layers[1].current_rate == pytest.approx(0.05)
    assert "iterations" not in [w.path.split("/")[-1] for w in loaded.trainable_weights]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"rate": 0.5, "warmup_steps": 0}, "warmup_steps=0"),
        ({"rate": 0.5, "warmup_steps": 10, "schedule": "cosine"}, "schedule='cosine'"),
        ({"rate": 1.2, "warmup_steps": 10}, "rate=1.2"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ScheduledDropout(**kwargs)
