import keras
import numpy as np
import pytest
from keras import ops

from kerasreg.schedules import OneCycle, create_optimizer, l2_regularizer


@pytest.mark.parametrize(
    "config, keras_cls",
    [
        ({"name": "sgd", "momentum": 0.9, "nesterov": True}, keras.optimizers.SGD),
        ({"name": "adam", "beta_1": 0.8}, keras.optimizers.Adam),
        ({"name": "adamw"}, keras.optimizers.AdamW),
        ({"name": "rmsprop", "rho": 0.8}, keras.optimizers.RMSprop),
        ({"name": "adagrad"}, keras.optimizers.Adagrad),
    ],
)
def test_names_and_arguments(config, keras_cls):
    optimizer = create_optimizer(config, learning_rate=OneCycle(0.1, 100))
    assert isinstance(optimizer, keras_cls)
    for key, value in config.items():
        if key != "name":
            assert getattr(optimizer, key) == value


def _decay_step(config):
    """One step with zero gradients: only weight decay moves the variables."""
    inputs = keras.Input((3,))
    x = keras.layers.BatchNormalization()(keras.layers.Dense(4, bias_initializer="ones")(inputs))
    model = keras.Model(inputs, x)
    optimizer = create_optimizer(config, learning_rate=0.1)
    variables = model.trainable_variables
    before = [ops.convert_to_numpy(v).copy() for v in variables]
    optimizer.apply([ops.zeros(v.shape, v.dtype) for v in variables], variables)
    return {v.path.split("/")[-1]: (b, ops.convert_to_numpy(v)) for v, b in zip(variables, before)}


def test_decoupled_decay_skips_vectors():
    moved = _decay_step({"name": "sgd", "weight_decay": 0.5})
    kernel_before, kernel_after = moved["kernel"]
    np.testing.assert_allclose(kernel_after, kernel_before * (1 - 0.1 * 0.5), rtol=1e-6)
    for name in ("bias", "gamma", "beta"):
        np.testing.assert_array_equal(*moved[name])


@pytest.mark.parametrize("mode", ["l2", "none"])
def test_l2_and_none_leave_the_optimizer_without_decay(mode):
    config = {"name": "adamw", "weight_decay_mode": mode}
    if mode == "l2":
        config["weight_decay"] = 1e-3
    optimizer = create_optimizer(config, learning_rate=0.1)
    assert not optimizer.weight_decay
    moved = _decay_step(config)
    for before, after in moved.values():
        np.testing.assert_array_equal(before, after)


def test_l2_regularizer_is_coupled_decay():
    regularizer = l2_regularizer(1e-3)
    w = np.array([[1.0, -2.0]], "float32")
    # loss = weight_decay / 2 * ||w||^2, so its gradient is weight_decay * w.
    assert float(regularizer(w)) == pytest.approx(1e-3 / 2 * 5.0)
    assert l2_regularizer(0.0) is None


def test_optimizer_survives_save_and_load(tmp_path):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile(create_optimizer({"name": "sgd", "momentum": 0.9, "weight_decay": 1e-2}, OneCycle(0.1, 50)), "mse")
    model.fit(np.ones((8, 3)), np.ones((8, 1)), verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.weight_decay == 1e-2


@pytest.mark.parametrize(
    "config, message",
    [
        ({"name": "lamb"}, "name='lamb'"),
        ({"name": "sgd", "weight_decay_mode": "coupled"}, "weight_decay_mode='coupled'"),
        ({"name": "sgd", "weight_decay": -1.0}, "weight_decay=-1.0"),
        ({"name": "sgd", "weight_decay_mode": "none", "weight_decay": 1e-4}, "weight_decay=0.0001"),
        ({"name": "sgd", "betas": 0.9}, "Invalid optimizer argument for 'sgd'"),
    ],
)
def test_bad_configs(config, message):
    with pytest.raises(ValueError) as error:
        create_optimizer(config, learning_rate=0.1)
    assert message in str(error.value)


def _sgd_step(multiplier):
    """One plain-SGD step of a Dense + BatchNorm model; the moves of kernel, bias, gamma, beta."""
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.BatchNormalization()(keras.layers.Dense(4)(inputs)))
    optimizer = create_optimizer({"name": "sgd", "bias_learning_rate_multiplier": multiplier}, learning_rate=0.1)
    variables = model.trainable_variables
    before = [ops.convert_to_numpy(v).copy() for v in variables]
    gradients = [ops.ones(v.shape, v.dtype) for v in variables]
    optimizer.apply(gradients, variables)
    return {v.path.split("/")[-1]: ops.convert_to_numpy(v) - b for v, b in zip(variables, before)}


def test_bias_learning_rate_multiplier_scales_the_steps_of_vectors_only():
    moves = _sgd_step(64.0)
    np.testing.assert_allclose(moves["kernel"], -0.1, rtol=1e-6)
    for name in ("bias", "gamma", "beta"):
        np.testing.assert_allclose(moves[name], -0.1 * 64.0, rtol=1e-6)
    for name, move in _sgd_step(1.0).items():
        np.testing.assert_allclose(move, -0.1, rtol=1e-6)


def test_bias_learning_rate_multiplier_survives_saving(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(create_optimizer({"name": "sgd", "bias_learning_rate_multiplier": 8.0}, 0.1), "mse")
    model.save(tmp_path / "model.keras")
    assert keras.saving.load_model(tmp_path / "model.keras").optimizer.bias_learning_rate_multiplier == 8.0


@pytest.mark.parametrize("value", [0.0, -1.0, float("nan")])
def test_bias_learning_rate_multiplier_must_be_positive(value):
    with pytest.raises(ValueError, match="bias_learning_rate_multiplier"):
        create_optimizer({"name": "sgd", "bias_learning_rate_multiplier": value}, 0.1)
