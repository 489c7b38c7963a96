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
    # KerasTuner's own record of trial 0: once it says COMPLETED, the trial
    # has ended for the oracle (its results may still be being written).
    ended = search_root(tmp_path) / "kerastuner" / "trial_0" / "trial.json"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if json.loads(ended.read_text())["status"] == "COMPLETED":
                break
        except OSError:  # not written yet (kerasreg makes KerasTuner's writes atomic)
            pass
        time.sleep(0.05)
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


def test_killed_after_the_oracle_ends_the_first_trial_the_rerun_keeps_it(tmp_path, monkeypatch):
    # The window the SIGKILL test above reaches only sometimes, made certain:
    # the search dies right after the oracle has ended trial 0 (its record
    # says COMPLETED, oracle.json is written), before anything else runs.
    import keras_tuner as kt

    class Killed(BaseException):
        """Stands for SIGKILL: no handler catches it, nothing after it runs."""

    end_trial = kt.Oracle.end_trial

    def end_then_die(self, trial):
        end_trial(self, trial)
        raise Killed

    space = write_space(tmp_path)
    arguments = ["--space", space, "--tuner", "random", "--max-trials", "2"]
    with monkeypatch.context() as patch:
        patch.setattr(kt.Oracle, "end_trial", end_then_die)
        killed = run_tune(tmp_path, *arguments)
    assert killed.returncode == 1 and "Killed" in killed.stderr, killed.stderr[-3000:]
    ended = search_root(tmp_path) / "kerastuner" / "trial_0" / "trial.json"
    assert json.loads(ended.read_text())["status"] == "COMPLETED"
    record = (search_root(tmp_path) / "trial-0" / "trial.json").read_text()

    rerun = run_tune(tmp_path, *arguments)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert [t["status"] for t in results(tmp_path)["trials"]] == ["COMPLETED"] * 2
    assert (search_root(tmp_path) / "trial-0" / "trial.json").read_text() == record, "trial 0 ran again"
    assert not any(line.startswith("trial 0:") for line in rerun.stdout.splitlines())


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


def test_a_trial_ended_before_the_kill_is_not_retried_after_reload(tmp_path):
    import keras_tuner as kt

    from kerasreg.tuning.search import _keep_ended_trials_ended

    def oracle():
        made = kt.oracles.RandomSearchOracle(objective=kt.Objective("score", "max"), max_trials=5, seed=0)
        made._set_project_dir(str(tmp_path), "search")
        return made

    first = oracle()
    space = kt.HyperParameters()
    space.Int("x", 0, 100)
    first.update_space(space)
    ended = first.create_trial("tuner0")
    first.update_trial(ended.trial_id, {"score": 1.0})
    ended.status = "COMPLETED"
    first.end_trial(ended)  # saves oracle.json with the trial still listed as ongoing

    # Killed here, before the next trial is created.
    reloaded = oracle()
    reloaded.reload()
    assert reloaded._retry_queue == [ended.trial_id]  # KerasTuner alone would run it again
    _keep_ended_trials_ended(reloaded)
    assert reloaded._retry_queue == []
    running = reloaded.create_trial("tuner0")
    assert running.trial_id != ended.trial_id and running.status == "RUNNING"

    # Killed while that trial runs: it is still retried.
    again = oracle()
    again.reload()
    _keep_ended_trials_ended(again)
    assert again._retry_queue == [running.trial_id]


def test_a_sampled_schedule_the_run_cannot_hold_fails_its_trial_not_the_search(tmp_path):
    # The smoke run lasts 1 epoch: a 2- or 3-epoch warmup leaves nothing to decay.
    space = write_space(tmp_path, 'name = "warm"\n\n[hyperparameters."schedule.warmup_epochs"]\n'
                                  'type = "choice"\nvalues = [2.0, 3.0]\ndefault = 2.0\n')  # fmt: skip
    from tests import cli_runner

    result = cli_runner.cifar("tune", "--preset", "smoke", "--space", space, "--tuner", "grid", "--max-trials", "2",
                              "--max-consecutive-failures", "2", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "warmup" in result.stderr.strip().splitlines()[-1]
    trials = results(tmp_path, "warm")["trials"]
    assert [t["status"] for t in trials] == ["FAILED", "FAILED"]
    assert all("config rejected" in t["error"] and "warmup" in t["error"] for t in trials)
