"""The median stopping rule against completed trials' histories."""

import json

import keras
import numpy as np

from kerasreg.tuning import MedianStopping


def _completed(root, trial_id, accuracies, status="COMPLETED"):
    folder = root / f"trial-{trial_id}"
    folder.mkdir()
    (folder / "trial.json").write_text(json.dumps({"status": status, "history": {"val_accuracy": accuracies}}))


class _Model:
    stop_training = False


def _stopper(root, min_trials=2):
    stopper = MedianStopping(str(root), min_trials=min_trials)
    stopper.set_model(_Model())
    stopper.on_train_begin()
    return stopper


def test_stops_below_the_median_at_the_same_epoch(tmp_path):
    _completed(tmp_path, 0, [0.5, 0.6, 0.7])
    _completed(tmp_path, 1, [0.3, 0.4, 0.9])
    _completed(tmp_path, 2, [0.1, 0.2, 0.3])
    _completed(tmp_path, 3, [0.9, 0.9, 0.9], status="FAILED")  # not a completed trial
    stopper = _stopper(tmp_path)
    stopper.on_epoch_end(0, {"val_accuracy": 0.31})  # median of 0.5, 0.3, 0.1 is 0.3
    assert not stopper.model.stop_training
    stopper.on_epoch_end(1, {"val_accuracy": 0.39})  # median 0.4
    assert stopper.model.stop_training and stopper.stopped_epoch == 1


def test_needs_enough_completed_trials_at_that_epoch(tmp_path):
    _completed(tmp_path, 0, [0.9])
    _completed(tmp_path, 1, [0.9, 0.9])
    stopper = _stopper(tmp_path)
    stopper.on_epoch_end(1, {"val_accuracy": 0.1})  # one trial reached epoch 2
    assert not stopper.model.stop_training


def test_stops_a_real_fit(tmp_path):
    _completed(tmp_path, 0, [1.1, 1.1, 1.1])
    _completed(tmp_path, 1, [1.1, 1.1, 1.1])
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    x, y = np.zeros((8, 3), "float32"), np.zeros(8, "int32")
    stopper = MedianStopping(str(tmp_path))
    history = model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0, callbacks=[stopper])
    assert len(history.history["loss"]) == 1 and stopper.stopped_epoch == 0
