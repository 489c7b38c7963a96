"""A tuned comparison through the command line: equal tuning budgets on validation, then seeds at each best."""

import json

import pytest

from tests.comparison.harness import comparison_root, run_compare, write_comparison

# Two learning rates far apart, so the two variants can pick different ones.
TUNED = """
name = "tuned"
seeds = 2
preset = "smoke"
baseline = "none"

[set]
"data.synthetic_examples" = 128
"regularization.dropout_placement" = "blocks"

[tune]
[tune.hyperparameters."schedule.learning_rate"]
type = "choice"
values = [0.002, 0.2]

[variants.none]
"regularization.dropout" = "none"

[variants.dropout]
"regularization.dropout" = "dropout"
"""


# In one process: one seed, and a third point whose loss becomes NaN at once (a failed tuning run).
ONE_SEED = TUNED.replace("seeds = 2", "seeds = 1").replace("[0.002, 0.2]", "[0.002, 0.2, 1e12]")


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("tuned")
    result = run_compare(cwd, write_comparison(cwd, ONE_SEED))
    # Exit 1: the table is written, but runs failed.
    assert result.returncode == 1, result.stderr[-3000:]
    return cwd, result


def _json(path):
    return json.loads(path.read_text())


def test_each_variant_is_tuned_on_validation_then_its_seeds_run_at_its_best(tuned):
    cwd, result = tuned
    root = comparison_root(cwd, "tuned")
    record = _json(root / "tuning.json")
    assert record["tuner"] == "grid" and record["trials"] == {"none": 3, "dropout": 3} and record["seed"] == 1000
    for variant in ("none", "dropout"):
        # The failed run is recorded and never chosen; nothing of it is left.
        assert record["variants"][variant]["trials"][2]["status"] == "FAILED"
        assert not (root / variant / "tuning" / "trial-2").exists()
        # The best is the tuning run with the highest validation accuracy, read from the runs themselves.
        runs = {}
        for k in range(2):
            run = root / variant / "tuning" / f"trial-{k}"
            config, results = _json(run / "config.json"), _json(run / "results.json")
            assert config["training"]["seed"] == 1000  # never a final run's seed
            assert results["test"] == {}  # the test set is never touched while tuning
            runs[config["schedule"]["learning_rate"]] = max(results["history"]["val_accuracy"])
        best = max(runs, key=lambda rate: (runs[rate], -list(runs).index(rate)))
        assert record["variants"][variant]["best"] == {"schedule.learning_rate": best}
        for seed in (0,):
            final = root / variant / f"seed-{seed}"
            assert _json(final / "config.json")["schedule"]["learning_rate"] == best
            assert _json(final / "config.json")["training"]["seed"] == seed
            assert "accuracy" in _json(final / "results.json")["test"]
    rows = {row["variant"]: row for row in _json(root / "comparison.json")["rows"]}
    assert {v: rows[v]["tuned"] for v in rows} == {v: r["best"] for v, r in record["variants"].items()}
    assert all(rows[v]["seeds"] == [0] for v in rows)
    table = (root / "comparison.md").read_text()
    assert "Tuned at an equal budget: each variant's grid search over `schedule.learning_rate`" in table
    # Tuning runs first (point-major), then the final runs: 8 runs, numbered.
    lines = [line for line in result.stdout.splitlines() if line.startswith("run ")]
    assert [line.split(":")[1].strip().split(" (")[0] for line in lines[:6]] == [
        "none tuning 1 of 3", "dropout tuning 1 of 3", "none tuning 2 of 3", "dropout tuning 2 of 3",
        "none tuning 3 of 3", "dropout tuning 3 of 3"]
    assert lines[6].startswith("run 7 of 8: none seed 0 at schedule.learning_rate=")
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed:")]
    assert [line.split(": the training loss became nan at step")[0] for line in failed] == [
        "failed: none tuning run 3", "failed: dropout tuning run 3"]
    assert "Traceback" not in result.stderr


def test_a_rerun_reads_finished_runs_retries_failed_ones_and_refuses_a_changed_budget(tuned):
    cwd, _ = tuned
    root = comparison_root(cwd, "tuned")
    stamps = {p: p.stat().st_mtime_ns for p in root.rglob("results.json")}
    again = run_compare(cwd, str(cwd / "compare.toml"))
    assert again.returncode == 1, again.stderr[-2000:]
    assert "none tuning 1 of 3 (schedule.learning_rate=0.002; seed 1000): done already" in again.stdout
    assert again.stdout.count("done already") == 6 and again.stdout.count(": failed: the training loss became nan") == 2
    assert "training:" not in again.stdout and {p: p.stat().st_mtime_ns for p in stamps} == stamps
    changed = write_comparison(cwd, ONE_SEED.replace("[0.002, 0.2, 1e12]", "[0.002, 0.02, 1e12]"), name="changed.toml")
    refused = run_compare(cwd, changed)
    assert refused.returncode == 2 and "holds a different comparison (tune changed)" in refused.stderr

