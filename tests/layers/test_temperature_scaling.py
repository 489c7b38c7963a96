"""`TemperatureScaling`: softmax(logits / T) against NumPy, the probability route, saving, bad arguments."""

import keras
import numpy as np
import pytest

from kerasreg.layers import TemperatureScaling


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


LOGITS = np.random.default_rng(0).normal(scale=3.0, size=(16, 5)).astype("float32")


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.7])
def test_logits_divided_by_the_temperature_then_softmax(temperature):
    out = keras.ops.convert_to_numpy(TemperatureScaling(temperature)(LOGITS))
    np.testing.assert_allclose(out, _softmax(LOGITS.astype("float64") / temperature), rtol=1e-5, atol=1e-6)


def test_probabilities_in_give_what_their_logits_give():
    # log(softmax(z)) is z up to a per-row constant, which the softmax ignores.
    probabilities = _softmax(LOGITS.astype("float64")).astype("float32")
    from_probabilities = TemperatureScaling(1.8, from_logits=False)(probabilities)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(from_probabilities),
                               _softmax(LOGITS.astype("float64") / 1.8), rtol=1e-4, atol=1e-6)  # fmt: skip


def test_sigmoid_route_for_logits_and_for_probabilities():
    z = LOGITS[:, :1]
    expected = 1.0 / (1.0 + np.exp(-z.astype("float64") / 3.0))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(TemperatureScaling(3.0, activation="sigmoid")(z)),
                               expected, rtol=1e-5)  # fmt: skip
    p = (1.0 / (1.0 + np.exp(-z))).astype("float32")
    out = TemperatureScaling(3.0, from_logits=False, activation="sigmoid")(p)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), expected, rtol=1e-4)


def test_a_saved_model_gives_the_same_calibrated_probabilities(tmp_path):
    inputs = keras.Input((5,))
    model = keras.Model(inputs, TemperatureScaling(0.7, name="probabilities")(keras.layers.Dense(3)(inputs)))
    path = str(tmp_path / "calibrated.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.get_layer("probabilities").get_config()["temperature"] == 0.7
    np.testing.assert_allclose(loaded.predict(LOGITS, verbose=0), model.predict(LOGITS, verbose=0), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"temperature": 0.0}, "Invalid value received for argument `temperature`. Expected a finite float > 0. "
                               "Received: temperature=0.0"),
        ({"temperature": float("inf")}, "Received: temperature=inf"),
        ({"temperature": True}, "Received: temperature=True"),
        ({"temperature": 1.0, "from_logits": "yes"}, "Expected a bool. Received: from_logits='yes'"),
        ({"temperature": 1.0, "activation": "relu"}, "Expected 'softmax' or 'sigmoid'. Received: activation='relu'"),
    ],
)  # fmt: skip
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=None) as error:
        TemperatureScaling(**kwargs)
    assert message in str(error.value)
