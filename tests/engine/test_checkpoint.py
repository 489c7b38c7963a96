"""`RunCheckpoint`: weights, optimizer, seed states and early stopping survive a restart."""

import json

import keras
import numpy as np

from kerasreg.engine import checkpoint


def model_and_data():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dropout(0.3, seed=1), keras.layers.Dense(1)])  # fmt: skip
    model.compile(keras.optimizers.Adam(0.05), "mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6)).astype("float32")
    # Validation targets unrelated to training ones: val_loss soon stops improving.
    return model, (x, x.sum(1, keepdims=True)), (x[:16], rng.normal(size=(16, 1)).astype("float32"))


def fit(model, train, validation, callbacks, initial_epoch=0):
    model.fit(*train, validation_data=validation, epochs=8, initial_epoch=initial_epoch, batch_size=16,
              shuffle=False, verbose=0, callbacks=callbacks)  # fmt: skip


def stopping():
    return keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)


def test_resumed_training_matches_uninterrupted_training_including_early_stopping(tmp_path):
    model, train, validation = model_and_data()
    reference_stop = stopping()
    fit(model, train, validation, [reference_stop, checkpoint.RunCheckpoint(tmp_path / "ref", reference_stop)])
    assert 0 < reference_stop.stopped_epoch < 7, "the scenario needs early stopping to trigger"
    assert reference_stop.best_epoch < 2, "the best weights must come from before the restart"
    expected = model.get_weights()

    # The same run, "killed" after 2 epochs, then resumed into a fresh model.
    first, train, validation = model_and_data()
    first_stop = stopping()
    first.fit(*train, validation_data=validation, epochs=2, batch_size=16, shuffle=False, verbose=0,
              callbacks=[first_stop, checkpoint.RunCheckpoint(tmp_path / "run", first_stop)])  # fmt: skip
    state = checkpoint.load_state(tmp_path / "run")
    assert state["epoch"] == 2 and len(state["history"]["loss"]) == 2 and len(state["seed_states"]) == 1
    assert json.loads((tmp_path / "run" / "state.json").read_text()) == state

    fresh, train, validation = model_and_data()
    best = checkpoint.restore(fresh, tmp_path / "run", state)
    np.testing.assert_array_equal(fresh.layers[1].seed_generator.state.numpy(), state["seed_states"][0])
    assert int(fresh.optimizer.iterations.numpy()) == 2 * 4
    resumed_stop = stopping()
    saver = checkpoint.RunCheckpoint(tmp_path / "run", resumed_stop, resumed=state, best_weights=best)
    fit(fresh, train, validation, [resumed_stop, saver], initial_epoch=2)

    assert resumed_stop.stopped_epoch == reference_stop.stopped_epoch
    assert resumed_stop.best_epoch == reference_stop.best_epoch
    for got, want in zip(fresh.get_weights(), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert len(saver.history["loss"]) == reference_stop.stopped_epoch + 1
    final = checkpoint.load_state(tmp_path / "run")
    assert final["stopped"] is True
    # Only the last epoch's weights and the best epoch's are kept.
    kept = sorted(p.name for p in (tmp_path / "run").iterdir() if p.name.endswith(".weights.h5"))
    assert kept == sorted({final["weights"], final["best_weights"]})


def test_no_checkpoint_is_none(tmp_path):
    assert checkpoint.load_state(tmp_path) is None
