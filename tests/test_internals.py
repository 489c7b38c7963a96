"""Each private Keras / KerasTuner API in `kerasreg.internals` still does what kerasreg relies on."""

import json
import os

import keras
import keras_tuner
import numpy as np
import pytest

from kerasreg import internals
from kerasreg.layers import ConcreteDropout


def small_model():
    inputs = keras.Input((4,))
    inner = keras.Sequential([keras.layers.Dense(4), keras.layers.BatchNormalization(name="inner_bn")], name="inner")
    h = ConcreteDropout(keras.layers.Dense(3, name="wrapped"), name="concrete")(inner(inputs))
    return keras.Model(inputs, keras.layers.Dense(2)(h))


def test_flatten_layers_reaches_nested_models_and_wrapped_layers():
    model = small_model()
    names = [layer.name for layer in internals.flatten_layers(model)]
    assert {"inner", "inner_bn", "concrete", "wrapped"} <= set(names)
    assert model.name not in names and internals.flatten_layers(model, include_self=True)[0] is model
    assert "inner_bn" not in [layer.name for layer in model.layers]  # what the public list misses


def test_the_learning_rate_slot_holds_the_schedule_and_swaps_both_ways():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    scheduled, fixed = keras.optimizers.SGD(schedule), keras.optimizers.SGD(0.1)
    assert internals.optimizer_schedule(scheduled) is schedule and internals.optimizer_schedule(fixed) is None
    fixed.build([keras.Variable(np.zeros(2, "float32"))])
    before = [v.path for v in fixed.variables]
    slot = internals.learning_rate_slot(fixed)
    internals.set_learning_rate_slot(fixed, schedule)
    assert float(fixed.learning_rate) == pytest.approx(0.1) and internals.optimizer_schedule(fixed) is schedule
    internals.set_learning_rate_slot(fixed, slot)
    assert internals.learning_rate_slot(fixed) is slot and [v.path for v in fixed.variables] == before


def test_optimizer_step_counts_applied_steps():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01), "mse")
    model.fit(np.ones((12, 2)), np.ones((12, 1)), batch_size=4, epochs=1, verbose=0)
    assert internals.optimizer_step(model.optimizer) == 3


def test_symbolic_build_and_its_replacement_are_what_fit_uses():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.01), "mse", metrics=["mae"])
    x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
    internals.symbolic_build(model, (x, y))
    assert model.optimizer.built and model.optimizer.variables
    fresh = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    fresh.compile(keras.optimizers.SGD(0.01), "mse")
    calls = []

    def build(iterator=None, data_batch=None):
        calls.append(1)
        internals.symbolic_build(fresh, (x, y))

    internals.replace_symbolic_build(fresh, build)
    fresh.fit(x, y, epochs=1, verbose=0)
    assert calls == [1]


def test_a_random_layer_has_a_tensorflow_seed_generator_state():
    layer = keras.layers.RandomFlip(seed=3)
    state = internals.tensorflow_seed_generator_state(layer)
    assert isinstance(state, keras.Variable) and state.shape == (2,)
    assert int(keras.ops.convert_to_numpy(state)[0]) == 3  # the layer's seed


def test_an_oracle_draws_its_values_with_the_replaceable_method():
    hp = keras_tuner.HyperParameters()
    hp.Float("lr", 1e-3, 1e-1, default=1e-2)
    oracle = keras_tuner.oracles.RandomSearchOracle(objective="val_loss", max_trials=2, hyperparameters=hp, seed=0)
    assert callable(internals.oracle_value_drawer(oracle))
    internals.set_oracle_first_values(oracle, lambda: {"lr": 0.05})
    assert oracle.populate_space("t0")["values"] == {"lr": 0.05}


def test_keras_plateau_callback_reduces_through_the_hook_kerasreg_overrides():
    assert callable(getattr(keras.callbacks.ReduceLROnPlateau, internals.REDUCE_LR_HOOK))
    from kerasreg.callbacks import ReduceLROnPlateau

    calls = []

    class Counting(ReduceLROnPlateau):
        def _reduce_optimizer_lr(self, optimizer, epoch, name=""):
            calls.append(epoch)
            return super()._reduce_optimizer_lr(optimizer, epoch, name)

    assert internals.REDUCE_LR_HOOK in vars(ReduceLROnPlateau)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(keras.optimizers.schedules.CosineDecay(0.01, 100)), "mse")
    callback = Counting(monitor="loss", factor=0.5, patience=1, min_delta=1e9)
    model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=3, verbose=0, callbacks=[callback])
    assert calls and callback.scale == 0.5 ** len(calls)


def test_reset_seed_generators_replays_a_seeded_layers_draws():
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dropout(0.5, seed=7)])
    x = np.ones((2, 64), "float32")
    first = keras.ops.convert_to_numpy(model(x, training=True))
    assert not np.array_equal(first, keras.ops.convert_to_numpy(model(x, training=True)))
    internals.reset_seed_generators(model)
    np.testing.assert_array_equal(first, keras.ops.convert_to_numpy(model(x, training=True)))


def test_tensorflow_registers_custom_gradients_in_the_registry():
    import tensorflow as tf

    registry = internals.tensorflow_gradient_registry()
    assert isinstance(registry, dict)
    before = set(registry)

    @tf.custom_gradient
    def identity(x):
        return tf.identity(x), lambda dy: dy

    tf.function(lambda x: identity(x))(tf.constant(1.0))
    assert any(key.startswith("CustomGradient-") for key in set(registry) - before)


def test_a_reloaded_oracle_keeps_a_retry_queue(tmp_path):
    hp = keras_tuner.HyperParameters()
    hp.Float("lr", 1e-3, 1e-1)
    oracle = keras_tuner.oracles.RandomSearchOracle(objective="val_loss", max_trials=2, hyperparameters=hp, seed=0)
    assert internals.oracle_retry_queue(oracle) == []


def test_keras_tuner_writes_its_oracle_trial_and_tuner_state_through_the_atomic_writer(tmp_path, monkeypatch):
    internals.write_keras_tuner_state_atomically()
    written = []
    atomic_write = internals.atomic_write

    def recording(path, *args, **kwargs):
        written.append(os.path.relpath(path, tmp_path))
        return atomic_write(path, *args, **kwargs)

    monkeypatch.setattr(internals, "atomic_write", recording)

    def build(hp):
        weight = keras.initializers.Constant(hp.Float("w", 0.1, 1.0))
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, kernel_initializer=weight)])
        model.compile(loss="mse")
        return model

    tuner = keras_tuner.RandomSearch(build, objective="loss", max_trials=1, directory=tmp_path, project_name="p", seed=0)
    tuner.search(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=0)
    assert {"p/oracle.json", "p/tuner0.json", "p/trial_0/trial.json"} <= set(written)
    assert json.loads((tmp_path / "p" / "oracle.json").read_text())["ongoing_trials"] == {}
    assert not [path for path in tmp_path.rglob("*") if path.name.startswith(".tmp-")]


def test_keras_tuner_state_interrupted_before_its_rename_keeps_the_old_file(tmp_path, monkeypatch):
    from keras_tuner.src import utils

    internals.write_keras_tuner_state_atomically()
    internals.write_keras_tuner_state_atomically()  # twice: still one wrapper
    target = tmp_path / "oracle.json"
    utils.save_json(str(target), {"trials": 1})

    def killed(*args):
        raise KeyboardInterrupt  # stands for the process dying before the rename

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        utils.save_json(str(target), {"trials": 2})
    assert json.loads(target.read_text()) == {"trials": 1}
    assert [path.name for path in tmp_path.iterdir()] == ["oracle.json"]
