"""training.swa_epochs in a run: the averaged weights, the SWA learning rate, resume, and bad configs."""

import json
import os

import keras
import numpy as np
import pytest

from kerasreg.config import ConfigError
from kerasreg import engine
from kerasreg.recipes.cifar import EXPERIMENT

SETS = ["data.synthetic_examples=256", "training.epochs=4", "training.swa_epochs=2", "training.swa_learning_rate=0.01",
        "regularization.dropout=dropout", "regularization.dropout_rate=0.2"]  # fmt: skip


def config(*extra):
    return EXPERIMENT.resolve(preset="smoke", overrides=[*SETS, *extra], log=lambda *_: None)


class Record(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.snapshots = []

    def on_epoch_end(self, epoch, logs=None):
        self.snapshots.append([keras.ops.convert_to_numpy(v).copy() for v in self.model.trainable_variables])


class Interrupt(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 2:  # after the first SWA snapshot was taken and checkpointed
            raise KeyboardInterrupt


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    record = Record()
    run_dir, results = engine.train(config(), EXPERIMENT, run_dir=str(tmp_path_factory.mktemp("swa") / "run"),
                                    log=lambda *_: None, callbacks=(record,))  # fmt: skip
    return run_dir, results, record.snapshots


def test_the_saved_model_holds_the_average_of_the_last_epochs(reference):
    run_dir, results, snapshots = reference
    assert results["swa"] == {"start_epoch": 2, "snapshots": 2, "learning_rate": 0.01}
    model = keras.models.load_model(f"{run_dir}/model.keras")
    expected = [(a + b) / 2 for a, b in zip(snapshots[2], snapshots[3])]
    for variable, average in zip(model.trainable_variables, expected):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(variable), average, rtol=1e-5, atol=1e-6)


def test_the_swa_epochs_run_at_the_swa_learning_rate():
    prepared = engine.prepare(config(), EXPERIMENT)
    start = 2 * prepared.steps_per_epoch
    rates = [float(prepared.schedule(step)) for step in (start - 1, start, start + 5)]
    assert rates[0] != pytest.approx(0.01) and rates[1:] == pytest.approx([0.01, 0.01])
    assert prepared.batch_norm_data is not None


def test_an_interrupted_run_resumes_with_its_average(reference, tmp_path):
    _, expected, _ = reference
    run_dir = str(tmp_path / "run")
    with pytest.raises(KeyboardInterrupt):
        engine.train(config(), EXPERIMENT, run_dir=run_dir, log=lambda *_: None, callbacks=(Interrupt(),))
    state = json.loads(open(f"{run_dir}/resume/state.json").read())
    assert state["epoch"] == 3 and state["swa"] == "swa-epoch-0003.npz"
    # Named as in runs written before the folder was called resume/: the run resumes from it, and goes on there.
    os.rename(f"{run_dir}/resume", f"{run_dir}/checkpoint")
    _, results = engine.train(config(), EXPERIMENT, resume_dir=run_dir, log=lambda *_: None)
    assert json.loads(open(f"{run_dir}/checkpoint/state.json").read())["epoch"] == 4
    assert not os.path.exists(f"{run_dir}/resume") and results["files"]["resume"] == "checkpoint"
    assert results["swa"]["snapshots"] == 2
    # The times go on from the interrupted process's: training is part of the total.
    assert results["total_seconds"] > results["wall_time_seconds"] > state["train_seconds"]
    for name in ("accuracy", "loss", "nll"):
        assert results["test"][name] == pytest.approx(expected["test"][name], rel=1e-4, abs=1e-5)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["training.swa_epochs=5"], "Received: training.swa_epochs=5"),
        (["training.swa_learning_rate=-0.1"], "Received: training.swa_learning_rate=-0.1"),
        (["training.early_stopping_patience=2"], "0 with early stopping on"),
    ],
)
def test_bad_swa_settings_are_rejected(extra, message):
    with pytest.raises(ConfigError, match=message):
        config(*extra)
