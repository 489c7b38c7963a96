"""The scripts in examples/ run as a user runs them, and print their tables."""

import re
import runpy
from pathlib import Path

import pytest

from tests import cli_runner

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def test_there_are_three_short_examples():
    assert len(EXAMPLES) == 3
    for path in EXAMPLES:
        assert len(path.read_text().splitlines()) <= 40, path.name


def run_script(path, cwd):
    """``python PATH`` started in ``cwd``, in this process (`tests.cli_runner`): what it prints."""
    def main(_):
        runpy.run_path(str(path), run_name="__main__")
        return 0

    result = cli_runner.run_main(main, [], cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_an_example_runs_and_prints_its_table(path, tmp_path):
    out = run_script(path, tmp_path)
    if "compare(" in path.read_text():
        rows = [line for line in out.splitlines() if line.startswith("| ") and not line.startswith("| variant")]
        assert out.count("| variant | seeds |") == 1 and len(rows) >= 2, out[-3000:]
    else:
        assert re.search(r"^\s+trial\s+val", out, re.M) and "best:" in out, out[-3000:]
    assert (tmp_path / "logs").is_dir()  # runs went to the user's working folder
