"""Suite-wide: how many workers ``-n auto`` starts, the slowest files first, and a float32 policy per test."""

import os
from pathlib import Path

import keras
import pytest


def pytest_xdist_auto_num_workers(config):
    # One worker more than cores: the suite's tests wait on process start-ups
    # and files often enough that two workers on two cores leave a core idle
    # about a third of the time.
    return (os.cpu_count() or 1) + 1


# The files that take longest (about 40 s to 150 s each on a 2-core CPU).
# With ``--dist loadfile`` a worker takes whole files in collection order,
# so a long file collected last would end the run alone: these go first.
SLOWEST_FILES = (
    "tests/test_examples.py",
    "tests/engine/test_kill_points.py",
    "tests/recipes/test_real_data.py",
    "tests/tuning/test_tuners.py",
    "tests/tuning/test_resume_and_failures.py",
    "tests/comparison/test_compare_cli.py",
    "tests/recipes/test_shipped_files.py",
    "tests/engine/test_resume.py",
    "tests/engine/test_multi_worker.py",
    "tests/tuning/test_distributed.py",
    "tests/comparison/test_distributed_compare.py",
    "tests/comparison/test_tuned_runs.py",
    "tests/engine/test_devices.py",
    "tests/comparison/test_uncertainty_study.py",
    "tests/engine/test_jax_backend.py",
)
ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config, items):
    rank = {name: index for index, name in enumerate(SLOWEST_FILES)}

    def place(item):
        try:
            name = Path(str(item.fspath)).resolve().relative_to(ROOT).as_posix()
        except ValueError:
            name = ""
        return rank.get(name, len(rank))

    items.sort(key=place)  # stable: the rest keep their order


@pytest.fixture(autouse=True)
def _float32_policy():
    # `prepare` sets the run's precision process-wide (as a run must); tests
    # share processes (pytest-xdist), so one test's policy must not leak.
    yield
    if keras.config.dtype_policy().name != "float32":
        keras.config.set_dtype_policy("float32")


@pytest.fixture(autouse=True)
def _presets_see_a_cpu_without_amx(monkeypatch):
    # A `MachinePreset` (cpu-10min) picks its values from the CPU's flags;
    # CI runs on CPUs with and without AMX, so every test sees one without
    # unless it sets the flags itself (tests/engine/test_presets.py).
    from kerasreg.engine import presets

    monkeypatch.setattr(presets, "cpu_flags", lambda: {"avx2", "fma"})
