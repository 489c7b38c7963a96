"""A run killed after its first epoch continues from its checkpoint with --resume."""

import json
import os
import signal
import subprocess
import sys
import time

from tests.recipes.test_cli import run_cli, run_dirs


def test_killed_run_resumes_to_the_same_epoch_count(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1", "KERASREG_CACHE": str(tmp_path / "cache")}
    args = ["--preset", "smoke", "--epochs", "4", "--set", "data.synthetic_examples=1024"]
    process = subprocess.Popen(
        [sys.executable, "-m", "kerasreg.recipes.cifar", *args],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    output = []
    deadline = time.time() + 300
    for line in process.stdout:
        output.append(line)
        if line.startswith("Epoch 2/4") or time.time() > deadline:
            break
    os.kill(process.pid, signal.SIGKILL)  # no clean-up: like a crash or a pulled plug
    process.wait()
    (run_dir,) = run_dirs(tmp_path)
    assert not (run_dir / "results.json").exists()
    assert (run_dir / "backup").is_dir(), "".join(output)

    resumed = run_cli("--resume", str(run_dir), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Epoch 1/4" not in resumed.stdout and "Epoch 2/4" in resumed.stdout
    results = json.loads((run_dir / "results.json").read_text())
    assert results["epochs_run"] == 4
    assert run_dirs(tmp_path) == [run_dir], "resuming writes into the same run directory"
