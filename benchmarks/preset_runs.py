"""Shared by time_to_accuracy.py and ablation.py: a CIFAR-10 preset as a real command, timed end to end."""

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def warm_cache(data):
    """Decodes ``data`` once into the cache: the 15-minute budget counts runs after the first."""
    subprocess.run([sys.executable, "-c", f"from kerasreg.data import load_dataset; load_dataset({data!r})"],
                   cwd=ROOT, check=True, capture_output=True)  # fmt: skip


def run_preset(data, seed, logdir, run_name, assignments=(), epochs=None, preset="cpu"):
    """``python -m kerasreg.recipes.cifar --preset PRESET ...`` in a fresh process: ``(wall seconds, results)``.

    Wall time runs from launch to exit: start-up, loading the cached data,
    training, the test evaluation and writing the run.
    """
    # The engine never overwrites a run: it would write to NAME-2 if NAME
    # were taken, and the results read below would be the old run's.
    taken, base, number = Path(logdir) / "cifar", run_name, 1
    while (taken / run_name).exists():
        number += 1
        run_name = f"{base}-{number}"
    command = [sys.executable, "-m", "kerasreg.recipes.cifar", "--preset", preset, "--data", data,
               "--seed", str(seed), "--logdir", str(logdir), "--set", f"logging.run_name={run_name}"]  # fmt: skip
    if epochs is not None:
        command += ["--epochs", str(epochs)]
    for assignment in assignments:
        command += ["--set", assignment]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{run_name} failed ({result.returncode}): {result.stderr.strip().splitlines()[-1:]}")
    return wall, json.loads((taken / run_name / "results.json").read_text())


def evaluate_run(run_dir, *options):
    """``python -m kerasreg.recipes.cifar evaluate RUN_DIR OPTIONS``: the test metrics it prints."""
    command = [sys.executable, "-m", "kerasreg.recipes.cifar", "evaluate", str(run_dir), *options]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"evaluate {run_dir} failed: {result.stderr.strip().splitlines()[-1:]}")
    return json.loads(result.stdout[result.stdout.index("{"):])
