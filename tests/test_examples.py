"""The scripts in examples/ run as a user runs them, and print their tables."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def test_there_are_three_short_examples():
    assert len(EXAMPLES) == 3
    for path in EXAMPLES:
        assert len(path.read_text().splitlines()) <= 40, path.name


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_an_example_runs_and_prints_its_table(path, tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=900)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    if "compare(" in path.read_text():
        rows = [line for line in out.splitlines() if line.startswith("| ") and not line.startswith("| variant")]
        assert out.count("| variant | seeds |") == 1 and len(rows) >= 2, out[-3000:]
    else:
        assert re.search(r"^\s+trial\s+val", out, re.M) and "best:" in out, out[-3000:]
    assert (tmp_path / "logs").is_dir()  # runs went to the user's working folder
