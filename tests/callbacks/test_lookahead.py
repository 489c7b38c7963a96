"""Lookahead against a NumPy replay of the same steps, on the current backend."""

import keras
import numpy as np
import pytest
from keras import ops

from kerasreg.callbacks import Lookahead, lookahead_decay

RNG = np.random.default_rng(0)
X = RNG.normal(size=(28, 4)).astype("float32")
Y = RNG.normal(size=(28, 1)).astype("float32")
BATCH = 4  # 7 steps per epoch: not a multiple of the sync period


def _model():
    keras.utils.set_random_seed(3)
    inputs = keras.Input((4,))
    x = keras.layers.BatchNormalization(momentum=0.5)(keras.layers.Dense(3)(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    model.compile(keras.optimizers.SGD(0.05, momentum=0.9), "mse")
    return model


def _numpy(model):
    return [ops.convert_to_numpy(w).copy() for w in model.weights]


def _replay(epochs, sync_period, decay, power):
    """The same training as a plain loop: train_on_batch, then the Lookahead rule in NumPy."""
    model = _model()
    total = epochs * len(X) // BATCH
    slow, step = _numpy(model), 0
    for _ in range(epochs):
        for start in range(0, len(X), BATCH):
            model.train_on_batch(X[start : start + BATCH], Y[start : start + BATCH])
            step += 1
            if step % sync_period == 0:
                rho = decay * (step / total) ** power
                slow = [rho * s + (1 - rho) * w for s, w in zip(slow, _numpy(model))]
                model.set_weights(slow)
        model.set_weights(slow)  # the epoch ends on the slow weights
    return model


@pytest.mark.parametrize("decay, power", [(0.5, 0.0), (0.95**5, 3.0)])
def test_weights_equal_the_numpy_replay(decay, power):
    model = _model()
    lookahead = Lookahead(sync_period=3, total_steps=14, decay=decay, power=power)
    model.fit(X, Y, batch_size=BATCH, epochs=2, shuffle=False, callbacks=[lookahead], verbose=0)
    assert lookahead.synchronizations == 4  # steps 3, 6, 9, 12
    expected = _replay(2, 3, decay, power)
    # Every float weight, the batch-norm moving statistics included.
    assert len(model.weights) == 8
    for got, want in zip(_numpy(model), _numpy(expected)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_lookahead_changes_training_and_validation_sees_the_slow_weights():
    plain = _model()
    plain.fit(X, Y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    model = _model()
    lookahead = Lookahead(sync_period=3, total_steps=7, decay=0.5, power=0.0)
    history = model.fit(X, Y, batch_size=BATCH, epochs=1, shuffle=False, callbacks=[lookahead],
                        validation_data=(X, Y), verbose=0)  # fmt: skip
    assert not np.allclose(_numpy(plain)[0], _numpy(model)[0])
    for got, slow in zip(_numpy(model), lookahead._slow):
        np.testing.assert_array_equal(got, slow)
    assert history.history["val_loss"][0] == pytest.approx(model.evaluate(X, Y, verbose=0), rel=1e-5)


def test_decay_zero_is_plain_training():
    plain = _model()
    plain.fit(X, Y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    model = _model()
    model.fit(X, Y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0,
              callbacks=[Lookahead(sync_period=2, total_steps=7, decay=0.0, power=0.0)])  # fmt: skip
    # Only the steps after the last synchronization (step 6) are dropped at the epoch's end.
    replay = _model()
    for start in range(0, 24, BATCH):
        replay.train_on_batch(X[start : start + BATCH], Y[start : start + BATCH])
    for got, want in zip(_numpy(model), _numpy(replay)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_lookahead_decay_formula():
    assert lookahead_decay(0, 100, 0.8, 3.0) == 0.0
    assert lookahead_decay(50, 100, 0.8, 3.0) == pytest.approx(0.1)
    assert lookahead_decay(100, 100, 0.8, 3.0) == pytest.approx(0.8)
    assert lookahead_decay(150, 100, 0.8, 3.0) == pytest.approx(0.8)  # past the end: the end
    assert lookahead_decay(7, 100, 0.5, 0.0) == 0.5


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"sync_period": 0}, "Received: sync_period=0"),
        ({"total_steps": -1}, "Received: total_steps=-1"),
        ({"decay": 1.5}, "Expected a float in [0, 1]. Received: decay=1.5"),
        ({"power": -1.0}, "Received: power=-1.0"),
    ],
)
def test_bad_arguments(arguments, message):
    with pytest.raises(ValueError) as info:
        Lookahead(**arguments)
    assert message in str(info.value)
