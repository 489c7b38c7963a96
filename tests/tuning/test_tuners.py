"""Each KerasTuner tuner runs a smoke search through the CLI: results, HParams, the best command."""

import csv
import json

import pytest

from tests.tuning.harness import results, run_tune, search_root, session_hparams, write_space


@pytest.mark.parametrize("tuner", ["random", "grid", "bayesian", "hyperband"])
def test_tuner_runs_trials_and_logs_every_one(tmp_path, tuner):
    space = write_space(tmp_path)
    extra = ["--epochs", "2"] if tuner == "hyperband" else []
    result = run_tune(tmp_path, "--space", space, "--tuner", tuner, "--max-trials", "3", *extra)
    assert result.returncode == 0, result.stderr[-3000:]

    found = results(tmp_path)
    trials = found["trials"]
    assert found["tuner"] == tuner and found["complete"]
    assert len(trials) >= 2 and all(t["status"] == "COMPLETED" for t in trials)
    if tuner != "hyperband":
        assert len(trials) == 3
    # Trial 0 is the plain recipe: every default.
    assert trials[0]["hyperparameters"] == {"regularization.dropout": "none", "schedule.learning_rate": 0.01}
    for trial in trials:
        assert 0.0 <= trial["val_accuracy"] <= 1.0 and trial["seconds"] > 0

    root = search_root(tmp_path)
    from kerasreg.version import code_identity

    assert found["versions"]["kerasreg_code"] == code_identity()
    for trial in trials:  # each trial's own record too
        record = json.loads((root / f"trial-{trial['trial_id']}" / "trial.json").read_text())
        assert record["versions"]["kerasreg_code"] == code_identity()
    rows = list(csv.DictReader((root / "results.csv").open()))
    assert [r["trial_id"] for r in rows] == [t["trial_id"] for t in trials]
    for trial, row in zip(trials, rows):
        logged = session_hparams(root / f"trial-{trial['trial_id']}")
        assert logged is not None, f"no HParams for trial {trial['trial_id']}"
        values = trial["hyperparameters"]
        assert logged["regularization.dropout"] == values["regularization.dropout"]
        assert logged["schedule.learning_rate"] == pytest.approx(values["schedule.learning_rate"])
        # The conditional hyperparameter: text, "inactive" unless DropBlock.
        expected = str(values["regularization.block_size"]) if values["regularization.dropout"] == "dropblock" else "inactive"
        assert logged["regularization.block_size"] == expected
        assert row["regularization.block_size"] == expected

    best = found["best"]
    assert best["validation_accuracy"] == max(t["val_accuracy"] for t in trials)
    assert 0.0 <= best["test"]["accuracy"] <= 1.0
    # Temperature scaling of the best trial, fitted on its validation split: before is its own test ECE.
    assert best["calibration"]["fitted_on"] == "validation" and best["calibration"]["temperature"] > 0
    assert best["calibration"]["before"]["ece"] == pytest.approx(best["test"]["ece"])
    assert "--set schedule.learning_rate=" in best["command"] and "--preset smoke" in best["command"]
    assert f"best trial {best['trial_id']}" in result.stdout and "train it: python -m kerasreg.recipes.cifar" in result.stdout
    # Only the best trial's checkpoint is kept (Hyperband keeps its brackets' until the end, then prunes too).
    checkpoints = sorted(p.parent.name for p in (root / "kerastuner").glob("trial_*/checkpoint.weights.h5"))
    assert checkpoints == [f"trial_{best['trial_id']}"]


def test_rerunning_a_finished_search_reports_without_a_second_test_evaluation(tmp_path):
    space = write_space(tmp_path)
    first = run_tune(tmp_path, "--space", space, "--max-trials", "2")
    assert first.returncode == 0, first.stderr[-3000:]
    before = results(tmp_path)
    again = run_tune(tmp_path, "--space", space, "--max-trials", "2")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "already finished" in again.stdout + again.stderr
    assert results(tmp_path) == before
