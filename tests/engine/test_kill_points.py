"""Every resume path, after a real SIGKILL at its point, ends with the metrics of an uninterrupted run.

The killed process is a real subprocess (`tests.engine.kill_at`) that
SIGKILLs itself at an exact point, so nothing of Python's clean-up runs;
the uninterrupted reference and the resume run in this process through the
same command line.
"""

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kerasreg.recipes.cifar import main as cifar
from tests.comparison.harness import write_comparison
from tests.recipes.test_cli import run_dirs

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ["--preset", "smoke", "--epochs", "4", "--set", "data.synthetic_examples=192",
         "--set", "regularization.dropout=dropout", "--set", "regularization.dropout_rate=0.2"]  # fmt: skip
SWA = ["--set", "training.swa_epochs=2"]
LOOKAHEAD = ["--set", "training.lookahead_steps=2"]


def run_here(cwd, *args):
    """The command line in this process, in ``cwd``; returns (exit code, output)."""
    out = io.StringIO()
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = cifar(list(args))
    finally:
        os.chdir(previous)
    return code, out.getvalue()


def run_killed(cwd, point, n, *args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT), "KERASREG_CACHE": str(Path(cwd) / "cache")}
    done = subprocess.run([sys.executable, "-m", "tests.engine.kill_at", point, str(n), "--", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def assert_same_metrics(results, expected):
    for part in ("train", "validation", "test"):
        assert results[part].keys() == expected[part].keys(), part
        for name, value in expected[part].items():
            assert results[part][name] == pytest.approx(value, rel=1e-5, abs=1e-6), (part, name)
    assert results["epochs_run"] == expected["epochs_run"]


def single_run(tmp_path, name, args):
    folder = tmp_path / name
    folder.mkdir()
    code, output = run_here(folder, *args)
    assert code == 0, output[-3000:]
    (run_dir,) = run_dirs(folder)
    return json.loads((run_dir / "results.json").read_text())


@pytest.mark.parametrize(
    "point, n, args",
    [
        # After the last checkpoint, before results.json: the resume has no
        # epoch left and replays SWA's end (the average, batch-norm statistics).
        ("results", 0, SMOKE + SWA),
        # Mid-run, inside the SWA window, with Lookahead's slow weights: both
        # states must come back from the checkpoint.
        ("checkpoint", 3, SMOKE + SWA + LOOKAHEAD),
    ],
    ids=["swa-after-last-checkpoint", "swa-and-lookahead-mid-run"],
)
def test_a_killed_run_resumes_to_the_uninterrupted_metrics(tmp_path, point, n, args):
    expected = single_run(tmp_path, "reference", args)
    killed = tmp_path / "killed"
    killed.mkdir()
    run_killed(killed, point, n, *args)
    (run_dir,) = run_dirs(killed)
    state = json.loads((run_dir / "resume" / "state.json").read_text())
    assert state["epoch"] == (4 if point == "results" else n)
    assert not (run_dir / "results.json").exists()
    code, output = run_here(killed, "--resume", str(run_dir))
    assert code == 0, output[-3000:]
    results = json.loads((run_dir / "results.json").read_text())
    assert_same_metrics(results, expected)
    assert results["swa"] == expected["swa"]


COMPARISON = """
name = "killed"
seeds = 1
preset = "smoke"
baseline = "low-lr"

[set]
"data.synthetic_examples" = 128
"training.epochs" = 2

[variants.low-lr]
"schedule.learning_rate" = 0.01

[variants.high-lr]
"schedule.learning_rate" = 0.05
"""


def _rows(folder):
    table = json.loads((folder / "logs" / "cifar" / "compare-killed" / "comparison.json").read_text())
    return {row["variant"]: (row["seeds"], row["test_accuracy"], row["test_nll"], row["difference"])
            for row in table["rows"]}  # fmt: skip


def test_a_comparison_killed_inside_a_run_finishes_with_the_uninterrupted_table(tmp_path):
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    reference.mkdir(), killed.mkdir()
    code, output = run_here(reference, "compare", write_comparison(reference, COMPARISON))
    assert code == 0, output[-3000:]
    path = write_comparison(killed, COMPARISON)
    # Checkpoint 3 of 4: the second run (high-lr, seed 0) after its first epoch.
    run_killed(killed, "checkpoint", 3, "compare", path)
    root = killed / "logs" / "cifar" / "compare-killed"
    assert (root / "low-lr" / "seed-0" / "results.json").exists()
    assert not (root / "high-lr" / "seed-0" / "results.json").exists()
    # As a run written before the folder was called resume/ holds it: the comparison still sees a run to resume.
    (root / "high-lr" / "seed-0" / "resume").rename(root / "high-lr" / "seed-0" / "checkpoint")
    code, output = run_here(killed, "compare", path)
    assert code == 0, output[-3000:]
    assert "resuming" in output and not (root / "high-lr" / "seed-0" / "resume").exists()
    assert_same_rows(_rows(killed), _rows(reference))


def assert_same_rows(got, expected):
    assert got.keys() == expected.keys()
    for variant, (seeds, *cells) in expected.items():
        assert got[variant][0] == seeds
        for mine, theirs in zip(got[variant][1:], cells):
            if theirs is None:  # the baseline's difference
                assert mine is None, variant
                continue
            for key in ("mean", "low", "high"):
                assert mine[key] == pytest.approx(theirs[key], rel=1e-5, abs=1e-6, nan_ok=True), (variant, key)


def test_an_ensemble_killed_inside_a_member_finishes_with_the_uninterrupted_ensemble(tmp_path):
    args = ["train", "--ensemble", "2", *SMOKE[:2], "--epochs", "2", "--set", "data.synthetic_examples=128"]
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    reference.mkdir(), killed.mkdir()
    code, output = run_here(reference, *args)
    assert code == 0, output[-3000:]
    # Checkpoint 3 of 4: the second member after its first epoch.
    run_killed(killed, "checkpoint", 3, *args)
    code, output = run_here(killed, *args)
    assert code == 0, output[-3000:]
    assert "resuming" in output

    def ensemble(folder):
        (path,) = (folder / "logs" / "cifar").glob("ensemble-*/ensemble.json")
        return json.loads(path.read_text())

    got, expected = ensemble(killed), ensemble(reference)
    assert [m["seed"] for m in got["members"]] == [m["seed"] for m in expected["members"]] == [0, 1]
    for part in ("ensemble", "member_mean"):
        for name, value in expected[part].items():
            assert got[part][name] == pytest.approx(value, rel=1e-5, abs=1e-6), (part, name)
