"""`build_model`: every registered model builds, returns logits, trains; arguments are checked."""

import keras
import numpy as np
import pytest

from kerasreg.architectures import MODELS, Regularization, build_model, model_names, register_model
from kerasreg.models import MultiSampleModel
from tests.architectures.harness import GRAY, NUM_CLASSES, RGB, SMALL, fit_one_step, images

DEFAULT_NAMES = {"airbench": "airbench", "cnn": "cnn-3", "resnet": "resnet-20", "fast": "fast"}


def test_model_names():
    assert model_names() == ("airbench", "cnn", "fast", "resnet")


@pytest.mark.parametrize("name", model_names())
@pytest.mark.parametrize("shape", [RGB, GRAY], ids=["32x32x3", "28x28x1"])
def test_builds_logits_and_fits_one_step(name, shape):
    model = build_model(name, input_shape=shape, num_classes=NUM_CLASSES, regularization=Regularization(), seed=0, **SMALL[name])
    assert isinstance(model, keras.Model) and not isinstance(model, MultiSampleModel)
    assert model.input_shape == (None,) + shape
    assert model.output_shape == (None, NUM_CLASSES)
    logits = np.asarray(model.predict(images(shape), verbose=0))
    assert logits.shape == (4, NUM_CLASSES)
    # Logits, not probabilities: no softmax at the end.
    assert not np.allclose(logits.sum(axis=1), 1.0)
    assert model.layers[-1].get_config().get("activation", "linear") == "linear"
    fit_one_step(model, shape)


@pytest.mark.parametrize("name", model_names())
def test_default_sizes_and_names(name):
    model = build_model(name, input_shape=RGB, num_classes=NUM_CLASSES, regularization=Regularization())
    assert model.name == DEFAULT_NAMES[name]


def test_regularization_as_a_mapping_or_none():
    model = build_model("cnn", input_shape=RGB, num_classes=3, regularization={"dropout": "mc"}, width=4, depth=1)
    assert model.output_shape == (None, 3)
    assert build_model("cnn", input_shape=RGB, num_classes=3, regularization=None, width=4, depth=1).output_shape == (None, 3)
    with pytest.raises(ValueError, match="Unknown field"):
        build_model("cnn", input_shape=RGB, num_classes=3, regularization={"dropout_ratio": 0.1})


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"name": "vgg"}, "Expected one of 'airbench', 'cnn', 'fast', 'resnet'. Received: name='vgg'"),
        ({"input_shape": (32, 32)}, "Received: input_shape=(32, 32)"),
        ({"input_shape": (32, 0, 3)}, "Received: input_shape=(32, 0, 3)"),
        ({"input_shape": 32}, "Received: input_shape=32"),
        ({"input_shape": (None, None, None)}, "Received: input_shape=(None, None, None)"),
        ({"input_shape": (None, 0, 3)}, "Received: input_shape=(None, 0, 3)"),
        ({"num_classes": 0}, "Received: num_classes=0"),
        ({"width": 0}, "Received: width=0"),
        ({"width": 8.0}, "Received: width=8.0"),
        ({"seed": -1}, "Received: seed=-1"),
        ({"depth": 0}, "Received: depth=0"),
        ({"name": "resnet", "depth": 21}, "Expected an integer 6n + 2 >= 8 for model 'resnet' (20, 32, 44, 56, 110, ...). Received: depth=21"),
        ({"name": "resnet", "depth": 2}, "Received: depth=2"),
        ({"name": "resnet", "depth": 20.0}, "Received: depth=20.0"),
        ({"name": "fast", "depth": 3}, "Expected None for model 'fast' (its depth is fixed). Received: depth=3"),
        ({"first_width": 8}, "Expected None for model 'cnn' (models that size their first block apart: 'airbench'). Received: first_width=8"),
        ({"name": "airbench", "first_width": 0}, "Received: first_width=0"),
        ({"name": "airbench", "first_width": 16.0}, "Received: first_width=16.0"),
    ],
)
def test_invalid_arguments(arguments, message):
    call = {"name": "cnn", "input_shape": RGB, "num_classes": NUM_CLASSES, "regularization": Regularization(), **arguments}
    with pytest.raises(ValueError) as info:
        build_model(call.pop("name"), **call)
    assert str(info.value).startswith("Invalid value received for argument")
    assert str(info.value).endswith(message)


def test_register_model():
    @register_model("tiny")
    def build_tiny(*, input_shape, num_classes, regularization, width=None, depth=None, seed=None):
        inputs = keras.Input(input_shape)
        outputs = keras.layers.Dense(num_classes)(keras.layers.GlobalAveragePooling2D()(inputs))
        return keras.Model(inputs, outputs, name="tiny")

    try:
        assert "tiny" in model_names()
        assert build_model("tiny", input_shape=RGB, num_classes=2, regularization=None).name == "tiny"
        with pytest.raises(ValueError, match="already registered"):
            register_model("tiny")
    finally:
        del MODELS["tiny"]


def test_mixed_precision_keeps_float32_logits():
    name = "resnet"
    keras.config.set_dtype_policy("mixed_float16")  # conftest restores float32
    regularization = Regularization(dropout="scheduled", dropout_placement="both", ghost_batch_size=2)
    model = build_model(name, input_shape=RGB, num_classes=NUM_CLASSES, regularization=regularization, seed=0, **SMALL[name])
    assert model.get_layer("stem").compute_dtype == "float16"
    assert keras.backend.standardize_dtype(model.output.dtype) == "float32"
    fit_one_step(model)


@pytest.mark.parametrize("name, default", [("cnn", "relu"), ("resnet", "relu"), ("fast", "gelu"), ("airbench", "gelu")])
def test_activation_replaces_the_builders_own_everywhere(name, default):
    def activations(model):
        return {layer.get_config()["activation"] for layer in model.layers if isinstance(layer, keras.layers.Activation)}

    kwargs = dict(input_shape=(32, 32, 3), num_classes=10, regularization=Regularization(), width=8, seed=0)
    assert activations(build_model(name, **kwargs)) == {default}
    other = "silu" if default == "relu" else "relu"
    model = build_model(name, activation=other, **kwargs)
    assert activations(model) == {other}
    assert model.output_shape == (None, 10)


def test_unknown_activation_is_rejected_with_the_allowed_ones():
    with pytest.raises(ValueError, match=r"argument `activation`.*'elu', 'gelu', 'relu', 'silu'.*Received: activation='tanh'"):
        build_model("fast", input_shape=(32, 32, 3), num_classes=10, regularization=Regularization(), activation="tanh")
