import keras
import numpy as np
import pytest
from keras import ops

from kerasreg.layers import MCDropout
from tests.layer_harness import forward_and_grads, run_layer_test

ONES = np.ones((1000, 200), "float32")  # 2e5 units for the statistics


def _assert_rate(hits, rate):
    """Assert the fraction of true entries of ``hits`` is within 5 % of ``rate``.

    ``hits`` must hold one entry per independent draw. The sample must be
    large enough that the 5 % tolerance is at least 4 standard errors
    (``n >= 16 (1 - p) / (0.0025 p)``), so a rate off by 10 % fails.
    """
    hits = np.asarray(hits)
    n, measured = hits.size, float(hits.mean())
    assert n >= 16 * (1 - rate) / (0.0025 * rate), f"{n} draws cannot resolve 5 % of {rate}"
    assert abs(measured - rate) <= 0.05 * rate, f"measured {measured:.4f}, expected {rate} +- 5 %"


def test_layer_harness():
    run_layer_test(lambda: MCDropout(0.3, seed=1), (4, 6), (4, 6))
    run_layer_test(lambda: MCDropout(0.3, noise_shape=(None, 1, 5), seed=1), (4, 3, 5), (4, 3, 5))


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_mask_statistics(rate):
    out = ops.convert_to_numpy(MCDropout(rate, seed=7)(ONES))
    _assert_rate(out == 0, rate)
    assert abs(out.mean() - 1.0) < 0.02
    kept = out[out != 0]
    np.testing.assert_allclose(kept, 1.0 / (1.0 - rate), rtol=1e-6)


def test_masks_differ_between_calls_and_seeded_runs_repeat():
    layer = MCDropout(0.5, seed=3)
    first, second = (ops.convert_to_numpy(layer(ONES)) for _ in range(2))
    _assert_rate(first != second, 0.5)  # independent masks of rate r differ w.p. 2r(1 - r) = 0.5
    again = MCDropout(0.5, seed=3)
    np.testing.assert_array_equal(ops.convert_to_numpy(again(ONES)), first)
    np.testing.assert_array_equal(ops.convert_to_numpy(again(ONES)), second)


def test_modes():
    x = ONES[:10]
    # Default mc=True: stochastic at inference, whatever `training` says.
    assert (ops.convert_to_numpy(MCDropout(0.5, seed=1)(x, training=False)) != 1).any()
    # mc=False: exactly Keras Dropout — identity at inference, dropout in training.
    plain = MCDropout(0.5, seed=1, mc=False)
    np.testing.assert_array_equal(ops.convert_to_numpy(plain(x)), x)
    assert (ops.convert_to_numpy(plain(x, training=True)) == 0).any()


def test_rate_zero_is_exact_identity():
    x = np.random.default_rng(0).normal(size=(8, 5)).astype("float32")
    out = MCDropout(0.0)(x, training=True)
    np.testing.assert_array_equal(ops.convert_to_numpy(out), x)


def test_noise_shape_shares_mask():
    # 1000 x 10 = 1e4 independent masks, each shared by the 4 entries of axis 1.
    out = ops.convert_to_numpy(MCDropout(0.5, noise_shape=(None, 1, None), seed=2)(np.ones((1000, 4, 10), "float32")))
    assert (out == out[:, :1, :]).all()
    _assert_rate(out[:, 0, :] == 0, 0.5)


def test_dropped_units_get_zero_gradient():
    layer = MCDropout(0.4, seed=5)
    x = np.random.default_rng(1).uniform(1.0, 2.0, size=(64, 32)).astype("float32")
    layer(x)
    y, dx, _ = forward_and_grads(layer, x)
    dropped = y == 0
    assert dropped.any() and (~dropped).any()
    assert (dx[dropped] == 0).all()
    np.testing.assert_allclose(dx[~dropped], 1.0 / 0.6, rtol=1e-6)


def test_matches_keras_dropout_config_fields():
    config = MCDropout(0.25, noise_shape=(None, 1), seed=4).get_config()
    assert {k: config[k] for k in ("rate", "noise_shape", "seed", "mc")} == {
        "rate": 0.25,
        "noise_shape": (None, 1),
        "seed": 4,
        "mc": True,
    }
    assert isinstance(keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(MCDropout(0.1))), MCDropout)
