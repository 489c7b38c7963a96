"""`RunLogger`'s TensorBoard values: the learning rate each step trained with, and the generalization gaps."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasreg.reporting import RunLogger
from kerasreg.schedules import OneCycle, WarmUp


class RateUsed(keras.callbacks.Callback):
    """The learning rate the optimizer applies in each step, read from the optimizer itself."""

    def __init__(self):
        super().__init__()
        self.rates = []

    def on_train_batch_begin(self, batch, logs=None):
        self.rates.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))


def scalars(folder, tag):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(folder), size_guidance={"tensors": 0})
    accumulator.Reload()
    return {event.step: float(tf.make_ndarray(event.tensor_proto)) for event in accumulator.Tensors(tag)}


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("run")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    schedule = WarmUp(OneCycle(0.05, total_steps=20), warmup_steps=4)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(schedule), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])  # fmt: skip
    used = RateUsed()
    logger = RunLogger(str(run_dir), schedule, steps_per_epoch=8, total_steps=24, hparams={"lr": 0.05}, flat=True)
    history = model.fit(x[:48], y[:48], batch_size=6, epochs=3, validation_data=(x[48:], y[48:]),
                        callbacks=[used, keras.callbacks.TensorBoard(str(run_dir)), logger], verbose=0)  # fmt: skip
    logger.close()
    return run_dir, used.rates, history.history


def test_logged_learning_rate_is_the_rate_each_step_trained_with(logged_run):
    run_dir, used, _ = logged_run
    logged = scalars(run_dir / "train", "learning_rate")
    assert sorted(logged) == list(range(24))
    np.testing.assert_allclose([logged[step] for step in range(24)], used, rtol=1e-6)
    assert len(set(np.round(used, 8))) > 10  # a schedule that moves, so an offset by one step shows


def test_logged_gaps_are_train_minus_val_accuracy_and_val_minus_train_loss(logged_run):
    run_dir, _, history = logged_run
    accuracy = scalars(run_dir / "validation", "gap/accuracy")
    loss = scalars(run_dir / "validation", "gap/loss")
    for epoch in range(3):
        assert accuracy[epoch] == pytest.approx(history["accuracy"][epoch] - history["val_accuracy"][epoch], abs=1e-6)
        assert loss[epoch] == pytest.approx(history["val_loss"][epoch] - history["loss"][epoch], abs=1e-6)
    assert any(abs(loss[e]) > 1e-4 for e in range(3))
