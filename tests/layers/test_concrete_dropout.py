import keras
import numpy as np
import pytest
from keras import ops

from kerasreg.layers import ConcreteDropout
from kerasreg.layers.concrete_dropout import concrete_keep_mask
from tests.layer_harness import forward_and_grads, run_layer_test


def test_harness():
    run_layer_test(lambda: ConcreteDropout(keras.layers.Dense(3), init_rate=0.2, seed=1), (4, 6), (4, 3))


def test_relaxed_mask_statistics():
    mask = ops.convert_to_numpy(concrete_keep_mask((1000, 200), 0.3, 0.1, keras.random.SeedGenerator(0)))
    assert abs(mask.mean() - 0.7) < 0.02, "keeps 1 - p in expectation"
    assert ((mask < 0.05) | (mask > 0.95)).mean() > 0.8, "temperature 0.1 is nearly binary"


def test_regularization_loss_matches_the_paper():
    layer = ConcreteDropout(
        keras.layers.Dense(4), weight_regularizer=1e-2, dropout_regularizer=1e-3, init_rate=0.25, seed=2
    )
    x = np.ones((5, 6), "float32")
    layer(x, training=True)
    (loss,) = layer.losses
    kernel = ops.convert_to_numpy(layer.layer.kernel)
    p = 0.25
    expected = 1e-2 * (kernel**2).sum() / (1 - p) + 1e-3 * 6 * (p * np.log(p) + (1 - p) * np.log(1 - p))
    np.testing.assert_allclose(float(ops.convert_to_numpy(loss)), expected, rtol=1e-5)
    layer(x)
    assert layer.losses == [], "no regularizer at inference"


def test_rate_is_learned_and_readable():
    layer = ConcreteDropout(keras.layers.Dense(1), init_rate=0.1, seed=3)
    assert layer.rate == pytest.approx(0.1)
    x = np.random.default_rng(0).normal(size=(32, 8)).astype("float32")
    layer(x)
    _, _, grads = forward_and_grads(layer, x)
    logit_grad = grads[[v.path.split("/")[-1] for v in layer.trainable_variables].index("rate_logit")]
    assert abs(float(logit_grad)) > 0, "the rate gets a gradient"

    keras.utils.set_random_seed(0)
    inputs = keras.Input((8,))
    model = keras.Model(inputs, ConcreteDropout(keras.layers.Dense(1), init_rate=0.1, dropout_regularizer=1.0, seed=3)(inputs))
    model.compile(keras.optimizers.Adam(0.1), "mse")
    model.fit(x, np.zeros((32, 1)), epochs=20, verbose=0)
    # A strong entropy term (gradient log(p / (1 - p)) * input_dim) pulls the
    # rate from 0.1 towards 0.5: Adam moves the logit by about 0.1 per step.
    assert model.layers[1].rate > 0.3


def test_inference_is_the_wrapped_layer_and_mc_samples():
    dense = keras.layers.Dense(3)
    layer = ConcreteDropout(dense, init_rate=0.3, seed=4)
    x = np.random.default_rng(1).normal(size=(4, 5)).astype("float32")
    np.testing.assert_allclose(ops.convert_to_numpy(layer(x)), ops.convert_to_numpy(dense(x)), rtol=1e-6)
    mc = ConcreteDropout(keras.layers.Dense(3), init_rate=0.3, seed=4, mc=True)
    assert not np.allclose(ops.convert_to_numpy(mc(x)), ops.convert_to_numpy(mc(x)))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"init_rate": 0.0}, "init_rate=0.0"),
        ({"init_rate": 1.0}, "init_rate=1.0"),
        ({"temperature": 0.0}, "temperature=0.0"),
        ({"weight_regularizer": -1.0}, "weight_regularizer=-1.0"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConcreteDropout(keras.layers.Dense(2), **kwargs)
    with pytest.raises(ValueError, match="Expected a Keras layer"):
        ConcreteDropout("dense")
