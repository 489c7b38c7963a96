"""Stochastic weight averaging and the batch-norm re-estimation, against NumPy on the current backend."""

import keras
import numpy as np
import pytest
from keras import ops

from kerasreg.callbacks import StochasticWeightAveraging, recompute_batch_norm_statistics
from kerasreg.layers import ScheduledDropout

RNG = np.random.default_rng(0)
X = RNG.normal(1.0, 2.0, size=(48, 4)).astype("float32")
Y = RNG.normal(size=(48, 1)).astype("float32")
# Unequal batches: each still weighs the same in the statistics.
BATCHES = [X[:20], X[20:40], X[40:]]


def _array(variable):
    return ops.convert_to_numpy(variable).copy()


def _numpy(variables):
    return [_array(v) for v in variables]


class _Recorder(keras.callbacks.Callback):
    """Keeps the trainable weights and the batch-norm statistics at every epoch end."""

    def on_train_begin(self, logs=None):
        self.weights, self.statistics = [], []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(_numpy(self.model.trainable_variables))
        self.statistics.append(_numpy(self.model.non_trainable_variables))


def _model(batch_norm=False, seed=1):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((4,))
    x = keras.layers.Dense(3, name="features")(inputs)
    if batch_norm:
        x = keras.layers.BatchNormalization(name="bn")(x)
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    model.compile(keras.optimizers.SGD(0.05), "mse")
    return model


def _fit(model, swa, epochs, **kwargs):
    recorder = _Recorder()
    model.fit(X, Y, batch_size=16, epochs=epochs, shuffle=False, callbacks=[recorder, swa], verbose=0, **kwargs)
    return recorder


def _expected_statistics(model, feature_layer, batches):
    """Mean over batches of the batch mean and biased variance of the batch norm's input."""
    features = keras.Model(model.input, model.get_layer(feature_layer).output)
    outputs = [ops.convert_to_numpy(features(b)).astype(np.float64) for b in batches]
    return np.mean([o.mean(axis=0) for o in outputs], axis=0), np.mean([o.var(axis=0) for o in outputs], axis=0)


@pytest.mark.parametrize("start_epoch, frequency, epochs", [(1, 1, 5), (1, 2, 6), (0, 3, 5)])
def test_weights_become_the_mean_of_the_chosen_epoch_end_snapshots(start_epoch, frequency, epochs):
    model = _model()
    swa = StochasticWeightAveraging(start_epoch, frequency=frequency)
    recorder = _fit(model, swa, epochs)
    chosen = list(range(start_epoch, epochs, frequency))
    expected = [np.mean([recorder.weights[e][i] for e in chosen], axis=0) for i in range(len(model.trainable_variables))]
    assert swa.snapshots_averaged == len(chosen)
    for actual, average, mean in zip(_numpy(model.trainable_variables), swa.averaged_weights(), expected):
        np.testing.assert_allclose(actual, mean, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(average, mean, rtol=1e-6, atol=1e-6)
    # The last epoch differs from the mean: the weights really were replaced.
    assert not np.allclose(recorder.weights[-1][0], expected[0])


def test_start_epoch_after_training_leaves_the_weights_alone():
    model = _model(batch_norm=True)
    swa = StochasticWeightAveraging(3, batch_norm_data=BATCHES)
    recorder = _fit(model, swa, epochs=3)
    assert swa.snapshots_averaged == 0 and swa.averaged_weights() is None
    for actual, last in zip(_numpy(model.trainable_variables), recorder.weights[-1]):
        np.testing.assert_array_equal(actual, last)
    for actual, last in zip(_numpy(model.non_trainable_variables), recorder.statistics[-1]):
        np.testing.assert_array_equal(actual, last)


def test_batch_norm_statistics_are_recomputed_for_the_averaged_weights():
    model = _model(batch_norm=True)
    swa = StochasticWeightAveraging(1, batch_norm_data=[(b, b[:, :1]) for b in BATCHES])
    recorder = _fit(model, swa, epochs=4)
    bn = model.get_layer("bn")
    mean, variance = _expected_statistics(model, "features", BATCHES)
    np.testing.assert_allclose(_array(bn.moving_mean), mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_array(bn.moving_variance), variance, rtol=1e-5, atol=1e-6)
    where = [next(i for i, v in enumerate(model.non_trainable_variables) if v is stat) for stat in (bn.moving_mean, bn.moving_variance)]
    last_mean, last_variance = (recorder.statistics[-1][i] for i in where)
    assert not np.allclose(last_mean, mean, rtol=1e-3) and not np.allclose(last_variance, variance, rtol=1e-3)
    assert bn.momentum == 0.99


def _stacked_model():
    """Batch norm in a nested model, one frozen, and a layer that counts training calls."""
    keras.utils.set_random_seed(2)
    inputs = keras.Input((4,))
    x = keras.layers.Dense(5, name="features")(inputs)
    block = keras.Sequential([keras.Input((5,)), keras.layers.BatchNormalization(momentum=0.9, name="inner_bn")], name="block")
    x = block(x)
    x = ScheduledDropout(0.3, warmup_steps=10, name="dropout")(x)
    x = keras.layers.BatchNormalization(name="outer_bn")(x)
    x = keras.layers.BatchNormalization(name="frozen_bn", trainable=False)(x)
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    model.compile(keras.optimizers.SGD(0.05), "mse")
    model.fit(X, Y, batch_size=16, epochs=1, verbose=0)
    return model


def test_recompute_changes_only_the_statistics_of_trainable_batch_norms():
    model = _stacked_model()
    inner, outer, frozen = (model.get_layer("block").get_layer("inner_bn"), model.get_layer("outer_bn"), model.get_layer("frozen_bn"))
    recomputed = {id(v) for layer in (inner, outer) for v in (layer.moving_mean, layer.moving_variance)}
    trainable_before = _numpy(model.trainable_variables)
    others = [(v, _array(v)) for v in model.variables if id(v) not in recomputed and not v.trainable]
    inner_before = _array(inner.moving_mean)

    assert recompute_batch_norm_statistics(model, BATCHES, steps=2) == 2

    for before, after in zip(trainable_before, _numpy(model.trainable_variables)):
        np.testing.assert_array_equal(before, after)
    for variable, before in others:  # frozen statistics, the dropout counter, seed states
        np.testing.assert_array_equal(_array(variable), before, err_msg=variable.path)
    assert (inner.momentum, outer.momentum, frozen.momentum) == (0.9, 0.99, 0.99)
    # The first batch norm's input does not depend on the dropout: check it exactly, on 2 batches.
    mean, variance = _expected_statistics(model, "features", BATCHES[:2])
    np.testing.assert_allclose(_array(inner.moving_mean), mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_array(inner.moving_variance), variance, rtol=1e-5, atol=1e-6)
    assert not np.allclose(inner_before, mean, rtol=1e-3)


def test_recompute_puts_everything_back_on_an_error():
    model = _stacked_model()
    before = [(v, _array(v)) for v in model.variables]

    def failing_batches():
        yield X[:16]
        raise RuntimeError("data source failed")

    with pytest.raises(RuntimeError, match="data source failed"):
        recompute_batch_norm_statistics(model, failing_batches())
    for variable, value in before:
        np.testing.assert_array_equal(_array(variable), value, err_msg=variable.path)
    assert model.get_layer("block").get_layer("inner_bn").momentum == 0.9


def test_recompute_without_batch_norm_does_not_read_the_data():
    class Unreadable:
        def __iter__(self):
            raise AssertionError("data was read")

    assert recompute_batch_norm_statistics(_model(), Unreadable()) == 0


def test_recompute_under_mixed_precision_keeps_float32_statistics():
    keras.config.set_dtype_policy("mixed_float16")
    model = _model(batch_norm=True)
    assert recompute_batch_norm_statistics(model, BATCHES) == 3
    bn = model.get_layer("bn")
    assert keras.backend.standardize_dtype(bn.moving_mean.dtype) == "float32"
    mean, variance = _expected_statistics(model, "features", BATCHES)
    np.testing.assert_allclose(_array(bn.moving_mean), mean, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(_array(bn.moving_variance), variance, rtol=1e-3, atol=1e-4)


def test_state_round_trip_resumes_the_average():
    epochs, start_epoch = 4, 1
    model = _model()
    initial = model.get_weights()
    uninterrupted = StochasticWeightAveraging(start_epoch)
    _fit(model, uninterrupted, epochs)

    class InterruptAfterEpoch1(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:  # what a checkpoint holds at this epoch end
                self.weights, self.state = self.model.get_weights(), first.get_state()
                self.model.stop_training = True

    interrupted = _model()
    interrupted.set_weights(initial)
    first, checkpoint = StochasticWeightAveraging(start_epoch), InterruptAfterEpoch1()
    interrupted.fit(X, Y, batch_size=16, epochs=epochs, shuffle=False, callbacks=[first, checkpoint], verbose=0)
    assert checkpoint.state["count"] == 1

    resumed = _model()
    resumed.set_weights(checkpoint.weights)
    second = StochasticWeightAveraging(start_epoch)
    second.set_state(checkpoint.state)
    _fit(resumed, second, epochs, initial_epoch=2)
    assert second.snapshots_averaged == uninterrupted.snapshots_averaged == 3
    for a, b in zip(_numpy(resumed.trainable_variables), _numpy(model.trainable_variables)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_restored_state_must_fit_the_model():
    swa = StochasticWeightAveraging(0)
    swa.set_state({"count": 2, "weights": [np.zeros((4, 3)), np.zeros(3)]})
    with pytest.raises(ValueError, match="does not match the model's trainable variables"):
        _fit(_model(), swa, epochs=1)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: StochasticWeightAveraging(-1), "Received: start_epoch=-1"),
        (lambda: StochasticWeightAveraging(1.5), "Received: start_epoch=1.5"),
        (lambda: StochasticWeightAveraging(True), "Received: start_epoch=True"),
        (lambda: StochasticWeightAveraging(0, frequency=0), "Received: frequency=0"),
        (lambda: StochasticWeightAveraging(0, batch_norm_steps=0), "Received: batch_norm_steps=0"),
        (lambda: StochasticWeightAveraging(0, batch_norm_data=X), r"Received: batch_norm_data=<ndarray of shape \(48, 4\)>"),
        (lambda: StochasticWeightAveraging(0, batch_norm_data=(X, Y)), "Expected an iterable of batches"),
        (lambda: StochasticWeightAveraging(0).set_state({"count": 1, "weights": []}), "count=1 and 0 weights"),
        (lambda: recompute_batch_norm_statistics(_model(True), BATCHES, steps=0), "Received: steps=0"),
        (lambda: recompute_batch_norm_statistics(_model(True), []), "yielded no batch"),
    ],
)
def test_invalid_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_renorm_is_refused_before_anything_changes():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.BatchNormalization(renorm=True)(inputs))
    with pytest.raises(ValueError, match="renorm=True"):
        recompute_batch_norm_statistics(model, BATCHES)
