"""Every command on JAX, through `kerasreg.Experiment`: a run killed by SIGKILL resumes where it stopped; a run
trains, is scored once, re-evaluates to the same scores and is scored under shift and with MC dropout; a
comparison fills its table; a search completes its trials and scores its best one on the test set once.

Two processes (the backend is chosen once per process, and each JAX start costs seconds): one is SIGKILLed
after its first checkpoint, the other runs everything else, the resume first (`tests/engine/jax_run.py`).
"""

import json
import os
import signal

import keras
import numpy as np
import pytest
import scipy.stats

import kerasreg  # noqa: F401  (registers the classes the saved models name)
from tests import cli_runner

SCRIPT = os.path.join(os.path.dirname(__file__), "jax_run.py")
JAX = {"KERAS_BACKEND": "jax"}


@pytest.fixture(scope="module")
def jax_runs(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("jax")
    logdir = cwd / "logs"
    killed = cli_runner.subprocess_run(SCRIPT, "kill", str(logdir), cwd=cwd, env=JAX)
    assert killed.returncode == -signal.SIGKILL, killed.stdout[-2000:] + killed.stderr[-3000:]
    run_dir = logdir / "killed"
    left = {"state": json.loads((run_dir / "resume" / "state.json").read_text()),
            "results": (run_dir / "results.json").exists()}  # fmt: skip
    result = cli_runner.subprocess_run(SCRIPT, "all", str(logdir), cwd=cwd, env=JAX)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["backend"] == "jax"
    return left, report


def results_of(run_dir):
    with open(os.path.join(run_dir, "results.json")) as handle:
        return json.load(handle)


def test_a_run_killed_by_sigkill_on_jax_resumes_after_its_checkpoint_to_the_uninterrupted_run(jax_runs):
    left, report = jax_runs
    # The kill came after the first of three epochs was checkpointed, before any results.
    assert left["state"]["epoch"] == 1 and not left["results"]
    resumed = report["resumed"]
    assert "resuming run: " in "\n".join(resumed["log"]) and "(after epoch 1 of 3)" in "\n".join(resumed["log"])
    # The resume trained epochs 2 and 3 only: it did not start again from epoch 1.
    assert resumed["epochs_trained"] == [2, 3]
    results = results_of(resumed["run_dir"])
    assert results["epochs_run"] == 3 and all(len(values) == 3 for values in results["history"].values())
    # Epoch 1's metrics are the killed process's, carried over in the checkpoint.
    for name, values in left["state"]["history"].items():
        assert results["history"][name][:1] == values, name
    assert {"accuracy", "loss", "nll", "ece"} <= results["test"].keys()
    assert os.path.isfile(os.path.join(resumed["run_dir"], "model.keras"))
    # Weights, Adam's moments, dropout's seed state and the data order all came back: the uninterrupted run's numbers.
    expected = results_of(report["run_dir"])
    assert expected["epochs_run"] == 3
    for part in ("train", "validation", "test"):
        assert results[part].keys() == expected[part].keys(), part
        for name, value in expected[part].items():
            assert results[part][name] == pytest.approx(value, rel=1e-5, abs=1e-6), (part, name)


def test_a_run_on_jax_trains_evaluates_and_is_scored_under_shift(jax_runs):
    _, report = jax_runs
    # `evaluate` scores the saved model as the run scored it (test-time augmentation, one pass).
    assert report["test"].keys() == report["again"].keys()
    for name, value in report["test"].items():
        assert report["again"][name] == pytest.approx(value, rel=1e-5, abs=1e-6), name
    assert report["calibration"]["temperature"] > 0
    assert report["predictors"] == ["deterministic", "deterministic+temperature", "mc_dropout_2"]
    # The inference model saved on JAX loads here (TensorFlow) and gives the calibrated probabilities.
    inference = keras.models.load_model(os.path.join(report["run_dir"], "inference.keras"))
    x = np.random.default_rng(1).integers(0, 256, size=(5, 8, 8, 3), dtype=np.uint8)
    probabilities = inference.predict(x, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_a_comparison_on_jax_fills_a_row_per_variant_with_each_seeds_test_accuracy(jax_runs):
    _, report = jax_runs
    compare = report["compare"]
    assert compare["failed"] == []
    rows = {row["variant"]: row for row in compare["rows"]}
    assert list(rows) == ["no-dropout", "dropout"]
    for name, row in rows.items():
        assert row["seeds"] == [0, 1], name
        # The row is the seeds' own test accuracies, with scipy's t-interval (at 2 seeds it is wide and
        # may leave [0, 1]: t(0.975, 1) = 12.7).
        per_seed = [
            results_of(os.path.join(compare["folder"], name, f"seed-{seed}"))["test"]["accuracy"]
            for seed in (0, 1)
        ]
        low, high = scipy.stats.t.interval(0.95, 1, loc=np.mean(per_seed), scale=scipy.stats.sem(per_seed))
        accuracy = row["test_accuracy"]
        assert accuracy["n"] == 2, name
        assert accuracy["mean"] == pytest.approx(np.mean(per_seed), abs=1e-9), name
        if per_seed[0] != per_seed[1]:
            assert (accuracy["low"], accuracy["high"]) == pytest.approx((low, high), abs=1e-9), name
        else:
            assert accuracy["low"] == accuracy["mean"] == accuracy["high"], name
        assert f"| {name} | 2 |" in compare["table"]
    assert rows["no-dropout"]["baseline"] and rows["no-dropout"]["difference"] is None
    assert rows["dropout"]["difference"]["n"] == 2
    # Each of the 4 runs scored the test set once, with its own results written where the table read them.
    assert compare["test_scorings"] == 4
    for variant in rows:
        for seed in (0, 1):
            results = results_of(os.path.join(compare["folder"], variant, f"seed-{seed}"))
            assert results["epochs_run"] == 1 and results["versions"]["backend"] == "jax"
    with open(os.path.join(compare["folder"], "comparison.json")) as handle:
        assert [row["variant"] for row in json.load(handle)["rows"]] == list(rows)


def test_a_search_on_jax_completes_its_trials_and_scores_the_best_on_the_test_set_once(jax_runs):
    _, report = jax_runs
    tune = report["tune"]
    found = tune["results"]
    assert found["complete"] and found["tuner"] == "random" and found["versions"]["backend"] == "jax"
    trials = found["trials"]
    assert len(trials) == 2 and all(t["status"] == "COMPLETED" for t in trials)
    assert sorted(t["hyperparameters"]["schedule.learning_rate"] for t in trials) == [0.001, 0.01]
    best = found["best"]
    assert best["validation_accuracy"] == max(t["val_accuracy"] for t in trials)
    assert 0.0 <= best["test"]["accuracy"] <= 1.0 and best["calibration"]["temperature"] > 0
    # The trials never touched the test set: the one scoring is the best trial's.
    assert tune["test_scorings"] == 1
    assert results_of(tune["folder"])["best"]["test"] == best["test"]
    assert f"schedule.learning_rate={best['hyperparameters']['schedule.learning_rate']}" in tune["table"]
