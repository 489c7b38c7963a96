"""The public base class: a user-defined subclass gets the whole contract."""

import keras
import numpy as np
import pytest
from keras import ops

from kerasreg.layers import StochasticLayer, enable_mc
from tests.layer_harness import run_layer_test


@keras.saving.register_keras_serializable(package="kerasreg_tests")
class TokenDrop(StochasticLayer):
    """A user's own variant: drops whole time steps of (batch, steps, features)."""

    def noise(self, inputs):
        shape = (ops.shape(inputs)[0], ops.shape(inputs)[1], 1)
        return keras.random.dropout(inputs, self.rate, noise_shape=shape, seed=self.seed_generator)


class NoisyIfCalled(StochasticLayer):
    def noise(self, inputs):
        raise AssertionError("noise() must not run")


def test_user_subclass_passes_the_harness():
    run_layer_test(lambda: TokenDrop(rate=0.5, seed=1), (4, 6, 3), (4, 6, 3))


def test_user_subclass_statistics():
    out = ops.convert_to_numpy(TokenDrop(rate=0.3, seed=2)(np.ones((2000, 50, 4), "float32"), training=True))
    assert (out == out[..., :1]).all(), "a time step is dropped as a whole"
    assert abs((out == 0).mean() - 0.3) < 0.02
    assert abs(out.mean() - 1.0) < 0.02


def test_user_subclass_trains_saves_loads_and_switches_to_mc(tmp_path):
    inputs = keras.Input((6, 3))
    hidden = TokenDrop(rate=0.5, seed=3)(keras.layers.Dense(8)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(hidden)))
    model.compile("adam", "mse")
    x = np.random.default_rng(0).normal(size=(32, 6, 3)).astype("float32")
    y = np.random.default_rng(1).normal(size=(32, 1)).astype("float32")
    model.fit(x, y, epochs=2, verbose=0)

    path = tmp_path / "token_drop.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)

    mc_model = enable_mc(loaded)
    a, b = mc_model.predict(x, verbose=0), mc_model.predict(x, verbose=0)
    assert not np.allclose(a, b), "MC mode must sample at inference"
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_rate_zero_never_calls_noise():
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    for kwargs in ({}, {"mc": True}):
        out = NoisyIfCalled(rate=0.0, **kwargs)(x, training=True)
        np.testing.assert_array_equal(ops.convert_to_numpy(out), x)


def test_inference_is_identity_and_noise_is_required():
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(ops.convert_to_numpy(NoisyIfCalled(rate=0.5)(x)), x)
    with pytest.raises(NotImplementedError, match="must implement `noise"):
        StochasticLayer(rate=0.5)(x, training=True)


def test_config_holds_rate_seed_mc():
    config = TokenDrop(rate=0.2, seed=9, mc=True, name="td").get_config()
    assert (config["rate"], config["seed"], config["mc"], config["name"]) == (0.2, 9, True, "td")
    assert TokenDrop.from_config(config).get_config() == config
    assert "rate" not in StochasticLayer(rate=None).get_config()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"rate": 1.0}, "Received: rate=1.0"),
        ({"rate": -0.1}, "Received: rate=-0.1"),
        ({"rate": "0.5"}, "Received: rate='0.5'"),
        ({"rate": True}, "Received: rate=True"),
        ({"rate": 0.5, "seed": -1}, "Received: seed=-1"),
        ({"rate": 0.5, "seed": 1.5}, "Received: seed=1.5"),
        ({"rate": 0.5, "mc": "yes"}, "Received: mc='yes'"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")) as error:
        TokenDrop(**kwargs)
    argument = message.split("Received: ")[1].split("=")[0]
    assert f"argument `{argument}`" in str(error.value)
