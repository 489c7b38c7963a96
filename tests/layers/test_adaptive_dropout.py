import numpy as np
from keras import ops

from kerasreg.layers import AdaptiveDropout
from tests.layer_harness import forward_and_grads, run_layer_test


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_harness():
    run_layer_test(lambda: AdaptiveDropout(alpha=2.0, beta=-0.5, seed=1), (4, 6), (4, 6))


def test_keep_probability_follows_each_activation():
    # Each column holds one activation value; 4000 draws per column.
    levels = np.linspace(-3.0, 3.0, 50).astype("float32")
    x = np.tile(levels, (4000, 1))
    alpha, beta = 1.5, 0.5
    out = ops.convert_to_numpy(AdaptiveDropout(alpha, beta, seed=2)(x, training=True))
    kept = (out != 0).mean(axis=0)
    expected = _sigmoid(alpha * levels + beta)
    nonzero = levels != 0  # a zero activation reads as dropped either way
    np.testing.assert_allclose(kept[nonzero], expected[nonzero], atol=0.03)
    assert kept[-1] > kept[0], "stronger units are dropped less"
    # No rescaling in training: kept units pass unchanged.
    np.testing.assert_array_equal(out[out != 0], x[out != 0])


def test_inference_is_the_expectation_of_training():
    x = np.random.default_rng(0).normal(size=(20000, 8)).astype("float32")
    layer = AdaptiveDropout(alpha=1.0, beta=0.2, seed=3)
    inference = ops.convert_to_numpy(layer(x[:8]))
    np.testing.assert_allclose(inference, x[:8] * _sigmoid(x[:8] + 0.2), rtol=1e-5, atol=1e-6)
    training_mean = ops.convert_to_numpy(layer(np.tile(x[:1], (20000, 1)), training=True)).mean(axis=0)
    np.testing.assert_allclose(training_mean, inference[0], atol=0.03)


def test_mc_mode_samples_at_inference():
    x = np.ones((100, 10), "float32")
    layer = AdaptiveDropout(seed=1, mc=True)
    a, b = ops.convert_to_numpy(layer(x)), ops.convert_to_numpy(layer(x))
    assert (a == 0).any() and (a != b).any()


def test_dropped_units_get_zero_gradient():
    layer = AdaptiveDropout(alpha=0.5, seed=4)
    x = np.random.default_rng(1).uniform(0.5, 1.5, size=(64, 16)).astype("float32")
    layer(x)
    y, dx, _ = forward_and_grads(layer, x)
    dropped = y == 0
    assert dropped.any() and (~dropped).any()
    assert (dx[dropped] == 0).all()
    np.testing.assert_allclose(dx[~dropped], 1.0, rtol=1e-6)
