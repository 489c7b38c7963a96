"""A killed search continues where it stopped; failing trials are recorded and the search goes on."""

import json
import signal
import subprocess
import time

from tests.tuning.harness import environment, results, run_tune, search_root, tune_command, write_space

# Trial 0 (the defaults, lr 0.01) trains; lr 1e30 makes the loss NaN.
NAN_SPACE = """
name = "nan"

[hyperparameters."regularization.dropout"]
type = "choice"
values = ["none", "dropout"]

[hyperparameters."schedule.learning_rate"]
type = "choice"
values = [0.01, 1e30]
default = 0.01
"""


def test_sigkill_after_the_first_trial_then_rerun_finishes_without_redoing_it(tmp_path):
    space = write_space(tmp_path)
    arguments = ["--space", space, "--tuner", "random", "--max-trials", "3"]
    process = subprocess.Popen(tune_command(*arguments), cwd=tmp_path, env=environment(tmp_path),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    first = search_root(tmp_path) / "trial-0" / "trial.json"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if first.exists() and json.loads(first.read_text())["status"] == "COMPLETED":
            break
        time.sleep(0.2)
    assert process.poll() is None, "the search ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    record = first.read_text()

    rerun = run_tune(tmp_path, *arguments)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    found = results(tmp_path)
    assert [t["status"] for t in found["trials"]] == ["COMPLETED"] * 3
    assert first.read_text() == record, "the completed trial ran again"
    assert not any(line.startswith("trial 0:") for line in rerun.stdout.splitlines())
    assert found["best"]["test"]["accuracy"] >= 0.0


def test_a_nan_trial_is_recorded_failed_and_the_rest_complete(tmp_path):
    space = write_space(tmp_path, NAN_SPACE)
    result = run_tune(tmp_path, "--space", space, "--tuner", "grid", "--max-trials", "4")
    assert result.returncode == 0, result.stderr[-3000:]
    trials = results(tmp_path, "nan")["trials"]
    assert len(trials) == 4
    failed = [t for t in trials if t["status"] == "FAILED"]
    assert {t["hyperparameters"]["schedule.learning_rate"] for t in failed} == {1e30}
    assert len(failed) == 2 and all("loss became" in t["error"] for t in failed)
    assert all(t["status"] == "COMPLETED" for t in trials if t not in failed)
    assert results(tmp_path, "nan")["best"]["hyperparameters"]["schedule.learning_rate"] == 0.01


def test_consecutive_failures_stop_the_search_with_one_line(tmp_path):
    space = write_space(tmp_path, NAN_SPACE.replace("default = 0.01", "default = 1e30").replace("[0.01, 1e30]", "[1e30, 2e30]"))
    result = run_tune(tmp_path, "--space", space, "--max-trials", "5", "--max-consecutive-failures", "2")
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip() and "WARNING" not in line and not line.startswith("I0000")]
    assert len(lines) == 1 and "consecutive failures" in lines[0] and "loss became" in lines[0], result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert [t["status"] for t in results(tmp_path, "nan")["trials"]] == ["FAILED", "FAILED"]
