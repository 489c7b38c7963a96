import keras
import numpy as np
import pytest
from keras import ops

from kerasreg.layers import GhostBatchNormalization
from tests.layer_harness import run_layer_test


def _data(shape, seed=0):
    return np.random.default_rng(seed).normal(2.0, 3.0, size=shape).astype("float32")


def test_harness():
    run_layer_test(lambda: GhostBatchNormalization(virtual_batch_size=2), (4, 5, 5, 3), (4, 5, 5, 3))


@pytest.mark.parametrize("shape, axis", [((16, 6), -1), ((8, 4, 4, 3), -1), ((8, 3, 4, 4), 1)])
def test_equals_batch_norm_when_virtual_batch_is_the_batch(shape, axis):
    x = _data(shape)
    ghost = GhostBatchNormalization(virtual_batch_size=shape[0], axis=axis, momentum=0.9, gamma_initializer="random_normal", beta_initializer="random_normal")
    plain = keras.layers.BatchNormalization(axis=axis, momentum=0.9)
    ghost.build(shape)
    plain.build(shape)
    plain.set_weights(ghost.get_weights())
    for _ in range(3):
        np.testing.assert_allclose(
            ops.convert_to_numpy(ghost(x, training=True)), ops.convert_to_numpy(plain(x, training=True)), rtol=1e-4, atol=1e-4
        )
    for a, b in zip(ghost.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(ghost(x)), ops.convert_to_numpy(plain(x)), rtol=1e-5, atol=1e-5)


def test_each_ghost_batch_is_normalized_with_its_own_statistics():
    # Ten examples in ghost batches of 4: groups of 4, 4 and a remainder of 2.
    x = _data((10, 3, 3, 5), seed=1)
    x[4:8] += 10.0  # a group with its own mean
    layer = GhostBatchNormalization(virtual_batch_size=4, epsilon=1e-6, momentum=0.5)
    out = ops.convert_to_numpy(layer(x, training=True))
    for group in (slice(0, 4), slice(4, 8), slice(8, 10)):
        np.testing.assert_allclose(out[group].mean(axis=(0, 1, 2)), 0.0, atol=1e-4)
        np.testing.assert_allclose(out[group].var(axis=(0, 1, 2)), 1.0, atol=1e-3)
    # Moving statistics: example-weighted average of the ghost statistics.
    groups = [x[0:4], x[4:8], x[8:10]]
    means = np.stack([g.mean(axis=(0, 1, 2)) for g in groups])
    variances = np.stack([g.var(axis=(0, 1, 2)) for g in groups])
    sizes = np.array([4, 4, 2])[:, None]
    expected_mean = 0.5 * 0.0 + 0.5 * (means * sizes).sum(0) / 10
    expected_var = 0.5 * 1.0 + 0.5 * (variances * sizes).sum(0) / 10
    np.testing.assert_allclose(ops.convert_to_numpy(layer.moving_mean), expected_mean, rtol=1e-4)
    np.testing.assert_allclose(ops.convert_to_numpy(layer.moving_variance), expected_var, rtol=1e-4)


def test_inference_uses_moving_statistics():
    x = _data((8, 4))
    layer = GhostBatchNormalization(virtual_batch_size=2)
    layer.build(x.shape)
    layer.moving_mean.assign(np.full(4, 2.0, "float32"))
    layer.moving_variance.assign(np.full(4, 9.0, "float32"))
    np.testing.assert_allclose(ops.convert_to_numpy(layer(x)), (x - 2.0) / np.sqrt(9.0 + 1e-3), rtol=1e-5)


def test_fit_in_a_model_and_config():
    inputs = keras.Input((6,))
    model = keras.Model(inputs, keras.layers.Dense(1)(GhostBatchNormalization(virtual_batch_size=8)(inputs)))
    model.compile("sgd", "mse")
    model.fit(_data((50, 6)), _data((50, 1)), batch_size=20, epochs=1, verbose=0)  # last batch of 10
    config = GhostBatchNormalization(virtual_batch_size=8, momentum=0.9).get_config()
    assert config["virtual_batch_size"] == 8 and config["momentum"] == 0.9


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"virtual_batch_size": 0}, "virtual_batch_size=0"),
        ({"virtual_batch_size": 2.0}, "virtual_batch_size=2.0"),
        ({"virtual_batch_size": 4, "renorm": True}, "renorm=True"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GhostBatchNormalization(**kwargs)
