"""A tuned comparison spread over KerasTuner's chief and two workers on localhost, one worker killed mid-way."""

import json
import os
import signal
import subprocess
import sys
import time

from tests.comparison.harness import comparison_root, write_comparison
from tests.comparison.test_tuned_runs import TUNED
from tests.tuning.harness import environment
from tests.tuning.test_distributed import _free_port

# One seed: 4 tuning runs and 2 final runs over the two workers.
ONE_SEED = TUNED.replace("seeds = 2", "seeds = 1")
RUNS = [f"{v}/tuning/trial-{k}" for v in ("none", "dropout") for k in (0, 1)] + [f"{v}/seed-0" for v in ("none", "dropout")]


def _start(cwd, env, file, oracle, *role):
    command = [sys.executable, "-m", "kerasreg.recipes.cifar", "compare", file, "--oracle", oracle, "--distributed", *role]
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_chief_and_two_workers_share_the_runs_and_a_killed_worker_loses_nothing(tmp_path):
    file = write_comparison(tmp_path, ONE_SEED)
    oracle, env = f"127.0.0.1:{_free_port()}", environment(tmp_path)
    root = comparison_root(tmp_path, "tuned")
    chief = _start(tmp_path, env, file, oracle, "chief")
    workers = [_start(tmp_path, env, file, oracle, "worker", "--tuner-id", f"worker{i}") for i in range(2)]
    # Kill worker 1 once two runs have finished (whoever ran them).
    deadline = time.monotonic() + 400
    while len(list(root.rglob("results.json"))) < 2:
        assert time.monotonic() < deadline and chief.poll() is None, "no run finished"
        time.sleep(0.5)
    workers[1].send_signal(signal.SIGKILL)
    workers[1].communicate()
    finished = {p: p.stat().st_mtime_ns for p in root.rglob("results.json")}
    # It comes back under the same name and takes up the run it held.
    workers[1] = _start(tmp_path, env, file, oracle, "worker", "--tuner-id", "worker1")
    outputs = [w.communicate(timeout=600) for w in workers]
    chief_out, chief_err = chief.communicate(timeout=300)
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err[-3000:]
        assert "this worker is done" in out
    assert chief.returncode == 0, chief_err[-3000:]

    # Every run finished once; those finished before the kill were kept as they were.
    assert all((root / run / "results.json").is_file() for run in RUNS)
    assert {p: p.stat().st_mtime_ns for p in finished} == finished
    # The workers ran the runs (the chief only hands them out), worker 0 at least one.
    assert "training:" not in chief_out and "tuning 1 of 2" in outputs[0][0] + outputs[1][0]
    record = json.loads((root / "tuning.json").read_text())
    for variant in ("none", "dropout"):
        best = record["variants"][variant]["best"]["schedule.learning_rate"]
        config = json.loads((root / variant / "seed-0" / "config.json").read_text())
        assert config["schedule"]["learning_rate"] == best
    rows = json.loads((root / "comparison.json").read_text())["rows"]
    assert {row["variant"]: row["seeds"] for row in rows} == {"none": [0], "dropout": [0]}
    assert "Tuned at an equal budget" in (root / "comparison.md").read_text()
    assert "| dropout | 1 |" in chief_out
    assert not os.path.exists(root / "none" / "seed-1")


def test_a_workers_table_names_the_tuned_values_its_runs_recorded(tmp_path):
    from kerasreg.comparison.dispatch import _tuned_from_runs
    from kerasreg.comparison.spec import load_comparison

    spec = load_comparison(write_comparison(tmp_path, TUNED))
    run = tmp_path / "dropout" / "seed-1"
    run.mkdir(parents=True)
    run.joinpath("config.json").write_text(json.dumps({"schedule": {"learning_rate": 0.2, "name": "x"}}))
    assert _tuned_from_runs(str(tmp_path), spec, [0, 1]) == {"dropout": {"schedule.learning_rate": 0.2}}
