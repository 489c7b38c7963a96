"""Schedules inside `model.fit` on the current backend, and plateau reductions of any schedule."""

import keras
import numpy as np
import pytest
from keras import ops

from kerasreg.callbacks import ReduceLROnPlateau
from kerasreg.schedules import Constant, CyclicalLearningRate, Join, OneCycle, Scaled, WarmUp

X = np.random.default_rng(0).normal(size=(40, 4)).astype("float32")
Y = np.random.default_rng(1).normal(size=(40, 1)).astype("float32")


def _model(learning_rate):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile(keras.optimizers.SGD(learning_rate), "mse")
    return model


SCHEDULES = {
    "cyclical": lambda: CyclicalLearningRate(1e-3, 1e-2, 3, mode="triangular2"),
    "one_cycle": lambda: OneCycle(0.1, 12),
    "warmup": lambda: WarmUp(keras.optimizers.schedules.CosineDecay(0.1, 20), 4),
    "join": lambda: Join([Constant(0.05), OneCycle(0.1, 10)], [5]),
    "scaled": lambda: Scaled(keras.optimizers.schedules.ExponentialDecay(0.1, 3, 0.5), 0.5),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_learning_rate_after_n_steps_equals_the_schedule(name):
    schedule = SCHEDULES[name]()
    model = _model(schedule)
    model.fit(X, Y, batch_size=4, epochs=1, verbose=0)  # 10 steps
    assert int(ops.convert_to_numpy(model.optimizer.iterations)) == 10
    np.testing.assert_allclose(
        float(ops.convert_to_numpy(model.optimizer.learning_rate)), float(schedule(10)), rtol=1e-6
    )


def _stalling_callback(**kwargs):
    # min_delta far above any change: every epoch after the first is a plateau.
    return ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1e9, **kwargs)


def test_plateau_scales_a_schedule_and_training_uses_it():
    schedule = WarmUp(Constant(0.01), 2)
    model = _model(schedule)
    callback = _stalling_callback()
    model.fit(X, Y, batch_size=40, epochs=3, callbacks=[callback], verbose=0)  # reductions after epochs 2, 3
    assert callback.scale == pytest.approx(0.25)
    scaled = model.optimizer._learning_rate
    assert isinstance(scaled, Scaled) and scaled.schedule is schedule
    assert float(ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.0025)

    # The next step really uses the scaled rate: SGD moves the bias by -lr * grad.
    bias_before = ops.convert_to_numpy(model.layers[1].bias).copy()
    kernel = ops.convert_to_numpy(model.layers[1].kernel)
    grad = 2 * ((X @ kernel + bias_before) - Y).mean(axis=0)
    model.fit(X, Y, batch_size=40, epochs=1, verbose=0)
    step = ops.convert_to_numpy(model.layers[1].bias) - bias_before
    np.testing.assert_allclose(step, -0.0025 * grad, rtol=1e-4)


def test_plateau_respects_min_lr_and_float_learning_rates_behave_like_keras():
    model = _model(OneCycle(0.1, 1000))
    callback = _stalling_callback(min_lr=0.002)
    model.fit(X, Y, batch_size=40, epochs=6, callbacks=[callback], verbose=0)
    assert float(ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.002, rel=0.05)

    plain = _model(0.1)
    plain.fit(X, Y, batch_size=40, epochs=3, callbacks=[_stalling_callback()], verbose=0)
    assert float(ops.convert_to_numpy(plain.optimizer.learning_rate)) == pytest.approx(0.025)


def test_reduced_scale_is_saved_with_the_model(tmp_path):
    model = _model(CyclicalLearningRate(1e-3, 1e-2, 5))
    model.fit(X, Y, batch_size=40, epochs=2, callbacks=[_stalling_callback()], verbose=0)
    model.save(tmp_path / "reduced.keras")
    loaded = keras.models.load_model(tmp_path / "reduced.keras")
    assert loaded.optimizer._learning_rate.scale == pytest.approx(0.5)
    np.testing.assert_allclose(
        float(ops.convert_to_numpy(loaded.optimizer.learning_rate)),
        float(ops.convert_to_numpy(model.optimizer.learning_rate)),
        rtol=1e-6,
    )
