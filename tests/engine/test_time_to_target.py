"""training.targets in a run: when the objective first reached each target, in epochs and training seconds."""

import json
import math

import keras
import pytest

import kerasreg
from kerasreg.config import ConfigError
from kerasreg.engine import training
from kerasreg.engine.losses import Objective
from tests.engine import user_models

QUIET = dict(log=lambda *_: None)
# Validation accuracy climbs over the run's 24 validation examples (from
# about 0.75): the targets fall at the first epoch, later ones, or never.
TARGETS = [1e-6, 0.8, 0.85, 0.9, 1.0]
EPOCHS = 4


class Clock:
    """Stands in for the engine's `time` module: each reading is one second after the one before.

    The timer reads the clock at an epoch's start and end and nothing in
    the engine reads it in between, so every epoch lasts exactly one second
    and the training seconds at the end of epoch e are e.
    """

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        self.now += 1.0
        return self.now


class Interrupt(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:  # after the checkpoint of epoch 2: the engine's callbacks come first
            raise KeyboardInterrupt


def experiment(tmp_path):
    return kerasreg.Experiment(model=user_models.plain_mlp, data=user_models.tabular(), logdir=str(tmp_path),
                               name="ttt", config={"schedule.learning_rate": 0.01,
                                                   "data.validation_size": 24})  # fmt: skip


def config(exp, targets=TARGETS):
    return exp.resolve({"training.targets": targets, "logging.tensorboard": False}, seed=0, epochs=EPOCHS, **QUIET)


def first_reached(series, target):
    """By hand: the 1-based epoch of the first value >= target, or None."""
    for epoch, value in enumerate(series, start=1):
        if value >= target:
            return epoch
    return None


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ttt")
    exp = experiment(folder)
    patch = pytest.MonkeyPatch()
    patch.setattr(training, "time", Clock())
    try:
        _, results = training.train(config(exp), exp, run_dir=str(folder / "whole"), save_model=False, **QUIET)
    finally:
        patch.undo()
    return exp, results


def test_each_target_is_timed_at_the_first_epoch_the_objective_reached_it(reference):
    _, results = reference
    series = results["history"]["val_accuracy"]
    assert len(series) == EPOCHS and results["objective"]["name"] == "val_accuracy"
    # One second per epoch (`Clock`): the seconds at the end of epoch e are e, on the clock of wall_time_seconds.
    assert results["wall_time_seconds"] == EPOCHS
    expected = [{"target": t, "epoch": first_reached(series, t),
                 "seconds": None if first_reached(series, t) is None else float(first_reached(series, t))}
                for t in TARGETS]  # fmt: skip
    assert results["time_to_target"] == expected
    # The targets span the run (else the check above would be weak): reached first at different epochs, or never.
    epochs = [record["epoch"] for record in results["time_to_target"]]
    assert epochs[0] == 1 and len(set(epochs)) >= 3, series


def test_a_resumed_run_times_its_targets_as_the_uninterrupted_run(reference, tmp_path, monkeypatch):
    exp, expected = reference
    monkeypatch.setattr(training, "time", Clock())
    run_dir = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        training.train(config(exp), exp, run_dir=str(run_dir), save_model=False, callbacks=(Interrupt(),), **QUIET)
    state = json.loads((run_dir / "resume" / "state.json").read_text())
    assert state["epoch"] == 2 and state["epoch_seconds"] == [1.0, 2.0] and state["train_seconds"] == 2.0
    # A fresh process's clock: the resumed epochs go on from the saved seconds, not from its own start.
    monkeypatch.setattr(training, "time", Clock())
    _, results = training.train(config(exp), exp, resume_dir=str(run_dir), save_model=False, **QUIET)
    assert results["history"]["val_accuracy"] == pytest.approx(expected["history"]["val_accuracy"], abs=1e-6)
    assert results["time_to_target"] == expected["time_to_target"]


def test_a_checkpoint_without_epoch_times_resumes_with_unknown_seconds_for_its_epochs(monkeypatch):
    # What a checkpoint written before per-epoch times were kept gives `training_callbacks`.
    monkeypatch.setattr(training, "time", Clock())
    timer = training.TimeAndNaN(5.0, [None, None])
    timer.on_epoch_begin(2)
    timer.on_epoch_end(2)
    assert timer.epoch_seconds == [None, None, 6.0]
    assert training.time_to_target([0.5, 0.8], [0.6, 0.7, 0.9], "max", timer.epoch_seconds) == [
        {"target": 0.5, "epoch": 1, "seconds": None}, {"target": 0.8, "epoch": 3, "seconds": 6.0}]  # fmt: skip


def test_a_min_objective_is_reached_from_above():
    losses = [0.9, 0.5, 0.55, 0.3]
    records = training.time_to_target([0.6, 0.5, 0.29], losses, "min", [2.0, 4.0, 6.0, 8.0])
    assert records == [{"target": 0.6, "epoch": 2, "seconds": 4.0}, {"target": 0.5, "epoch": 2, "seconds": 4.0},
                       {"target": 0.29, "epoch": None, "seconds": None}]  # fmt: skip
    # A NaN epoch reaches nothing.
    assert training.time_to_target([0.6], [math.nan, 0.5], "min", [1.0, 2.0])[0]["epoch"] == 2


def test_no_targets_record_nothing(tmp_path):
    exp = experiment(tmp_path)
    _, results = training.train(config(exp, []), exp, run_dir=str(tmp_path / "run"), save_model=False,
                                epochs=1, **QUIET)  # fmt: skip
    assert "time_to_target" not in results


@pytest.mark.parametrize(
    "targets, expected",
    [
        ([0.9, float("nan")], "Expected a list of finite numbers, [] for none. Received: training.targets=[0.9, nan]"),
        ([float("inf")], "Received: training.targets=[inf]"),
        (["0.9"], "Received: training.targets=['0.9']"),
        ([True], "Received: training.targets=[True]"),
        (0.9, "training.targets expects a list, got 0.9"),
        ([0.9, 0.9], "Expected distinct numbers. Received: training.targets=[0.9, 0.9]"),
    ],
)
def test_bad_targets_are_rejected_when_the_config_is_resolved(tmp_path, targets, expected):
    with pytest.raises(ConfigError) as info:
        experiment(tmp_path).resolve({"training.targets": targets}, **QUIET)
    assert expected in str(info.value) and len(str(info.value).splitlines()) == 1


def test_a_percentage_for_an_accuracy_objective_fails_before_the_run_directory_exists(tmp_path):
    exp = experiment(tmp_path)
    with pytest.raises(ConfigError, match=r"training.targets holds 95, but val_accuracy is a fraction: .*\(0, 1\]"):
        training.train(config(exp, [0.5, 95]), exp, save_model=False, **QUIET)
    assert not (tmp_path / "ttt").exists()


@pytest.mark.parametrize("name, targets, allowed", [
    ("val_accuracy", [1.0], True), ("val_accuracy", [0.0], False), ("val_binary_accuracy", [1.5], False),
    ("val_auc", [-0.1], False), ("val_loss", [95.0, -3.0], True), ("val_mae", [0.0], True),
])  # fmt: skip
def test_only_fraction_objectives_bound_their_targets(name, targets, allowed):
    objective = Objective(name, "min" if name in ("val_loss", "val_mae") else "max")
    if allowed:
        training.check_targets(targets, objective)
    else:
        with pytest.raises(ConfigError, match=r"must lie in \(0, 1\]"):
            training.check_targets(targets, objective)
