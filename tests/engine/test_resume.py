"""A run killed after its first epoch and resumed ends exactly like an uninterrupted one."""

import json
import os
import signal
import subprocess
import sys
import time

from tests.recipes.test_cli import run_cli, run_dirs

# Dropout (seed state), augmentation (per-epoch seeds), label smoothing and a
# schedule that moves every step: everything a resume must carry over.
ARGS = ["--preset", "smoke", "--epochs", "4", "--set", "data.synthetic_examples=1024",
        "--set", "regularization.dropout=dropout", "--set", "regularization.dropout_rate=0.2",
        "--set", "training.label_smoothing=0.1", "--set", "data.augment=['flip','translate']"]  # fmt: skip


def kill_after_first_epoch(cwd):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1", "KERASREG_CACHE": str(cwd / "cache")}
    process = subprocess.Popen(
        [sys.executable, "-m", "kerasreg.recipes.cifar", *ARGS],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    output = []
    deadline = time.time() + 300
    for line in process.stdout:
        output.append(line)
        if line.startswith("Epoch 2/4") or time.time() > deadline:
            break
    os.kill(process.pid, signal.SIGKILL)  # no clean-up: like a crash or a pulled plug
    process.wait()
    return "".join(output)


def test_killed_run_resumes_to_the_same_epochs_and_metrics(tmp_path):
    reference_dir, killed_dir = tmp_path / "reference", tmp_path / "killed"
    reference_dir.mkdir(), killed_dir.mkdir()
    reference = run_cli(*ARGS, cwd=reference_dir)
    assert reference.returncode == 0, reference.stderr[-3000:]
    expected = json.loads((run_dirs(reference_dir)[0] / "results.json").read_text())

    output = kill_after_first_epoch(killed_dir)
    (run_dir,) = run_dirs(killed_dir)
    assert not (run_dir / "results.json").exists()
    state = json.loads((run_dir / "resume" / "state.json").read_text())
    assert state["epoch"] == 1, output
    assert not [p.name for p in (run_dir / "resume").iterdir() if p.name.startswith(".tmp-")]

    resumed = run_cli("--resume", str(run_dir), cwd=killed_dir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "after epoch 1 of 4" in resumed.stdout
    assert "Epoch 1/4" not in resumed.stdout and "Epoch 2/4" in resumed.stdout
    assert run_dirs(killed_dir) == [run_dir], "resuming writes into the same run directory"
    results = json.loads((run_dir / "results.json").read_text())
    assert results["epochs_run"] == expected["epochs_run"] == 4
    # Same batches, augmentations, dropout masks and optimizer state: the
    # same numbers, up to float summation order.
    for part in ("train", "validation", "test"):
        for name, value in expected[part].items():
            assert abs(results[part][name] - value) <= 1e-5 * max(1.0, abs(value)), (part, name, results[part], expected[part])
    assert results["best_validation_accuracy"] == expected["best_validation_accuracy"]

    again = run_cli("--resume", str(run_dir), cwd=killed_dir)
    assert again.returncode == 2 and "already finished" in again.stderr and "evaluate" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1, again.stderr
