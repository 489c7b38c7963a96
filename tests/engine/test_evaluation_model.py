"""`engine.evaluation_model`: flip test-time augmentation averages the logits of an image and its mirror."""

import keras
import numpy as np
import pytest

from kerasreg.config import ConfigError, ExperimentConfig, resolve
from kerasreg import engine


def small_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 5, 2)), keras.layers.Flatten(), keras.layers.Dense(3)])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def config(tta):
    return resolve(ExperimentConfig(), overrides=[f'training.test_time_augmentation="{tta}"'])


def test_none_is_the_model_itself():
    model = small_model()
    assert engine.evaluation_model(model, config("none")) is model


def test_flip_averages_the_logits_of_each_image_and_its_mirror():
    model = small_model()
    x = np.random.default_rng(0).normal(size=(16, 6, 5, 2)).astype("float32")
    y = np.random.default_rng(1).integers(0, 3, size=16)
    wrapped = engine.evaluation_model(model, config("flip"))
    expected = (model.predict(x, verbose=0) + model.predict(x[:, :, ::-1], verbose=0)) / 2
    np.testing.assert_allclose(wrapped.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    metrics = wrapped.evaluate(x, y, verbose=0, return_dict=True)
    assert metrics["accuracy"] == pytest.approx(np.mean(expected.argmax(1) == y))
    loss = -np.mean(np.log(np.exp(expected)[np.arange(16), y] / np.exp(expected).sum(1)))
    assert metrics["loss"] == pytest.approx(loss, rel=1e-5)


def test_flip_translate_is_airbench_level_2():
    """Half the flip average, a quarter each for the reflect-padded one-pixel shifts up-left and down-right."""
    model = small_model()
    x = np.random.default_rng(0).normal(size=(16, 6, 5, 2)).astype("float32")
    wrapped = engine.evaluation_model(model, config("flip_translate"))

    def flip_average(images):
        return (model.predict(images, verbose=0) + model.predict(images[:, :, ::-1], verbose=0)) / 2

    padded = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
    expected = (
        flip_average(x) / 2
        + flip_average(padded[:, :6, :5]) / 4
        + flip_average(padded[:, 2:, 2:]) / 4
    )
    np.testing.assert_allclose(wrapped.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    # The shifts are real: the result differs from flip alone.
    assert np.abs(expected - flip_average(x)).max() > 1e-3


def test_unknown_test_time_augmentation_is_a_config_error():
    with pytest.raises(ConfigError, match="test_time_augmentation.*'none', 'flip', 'flip_translate'"):
        config("crop")
