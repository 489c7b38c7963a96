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


def _assert_rate(hits, rate):
    """Assert the fraction of true entries of ``hits`` is within 5 % of ``rate``.

    ``hits`` must hold one entry per independent draw. The sample must be
    large enough that the 5 % tolerance is at least 4 standard errors
    (``n >= 16 (1 - p) / (0.0025 p)``), so a rate off by 10 % fails. A zero
    rate must give no hits at all.
    """
    hits = np.asarray(hits)
    n, measured = hits.size, float(hits.mean())
    if rate == 0:
        assert measured == 0, f"measured {measured:.4f}, expected exactly 0"
        return
    assert n >= 16 * (1 - rate) / (0.0025 * rate), f"{n} draws cannot resolve 5 % of {rate}"
    assert abs(measured - rate) <= 0.05 * rate, f"measured {measured:.4f}, expected {rate} +- 5 %"


def test_harness():
    run_layer_test(lambda: ScheduledDropout(0.4, warmup_steps=3, seed=1), (4, 6), (4, 6))


@pytest.mark.parametrize("schedule", ["linear", "exponential", "constant"])
def test_rate_follows_the_schedule(schedule):
    for step in (0, 1, 50, 99, 100, 101, 1000):
        got = float(ops.convert_to_numpy(scheduled_rate(step, 0.5, 100, schedule)))
        np.testing.assert_allclose(got, _reference(step, 0.5, 100, schedule), rtol=1e-6, atol=1e-7)


def test_drop_fraction_tracks_the_counted_steps():
    layer = ScheduledDropout(0.6, warmup_steps=4, seed=2)
    x = np.ones((1000, 100), "float32")  # 1e5 draws: enough for the smallest rate, 0.15
    for step in range(6):
        assert int(ops.convert_to_numpy(layer.iterations)) == step
        out = ops.convert_to_numpy(layer(x, training=True))
        expected = _reference(step, 0.6, 4, "linear")
        _assert_rate(out == 0, expected)
        np.testing.assert_allclose(out[out != 0], 1.0 / (1.0 - expected), rtol=1e-6)
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
    _assert_rate(out == 0, 0.5)  # 1e4 draws, enough for 0.5
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
