"""docs/results/collect.py: a comparison's kept runs, copied into the evidence folder and back, go on elsewhere.

A comparison longer than one sitting on one machine is kept run by run as
evidence (small files only); ``--restore`` puts the kept runs back where
``compare`` reads them, and the rerun trains nothing that was kept.
"""

import importlib.util
import json
import shutil
from pathlib import Path

from tests.comparison.harness import comparison_root, run_compare, write_comparison

ROOT = Path(__file__).resolve().parents[2]

# A tuned comparison: 2 variants x 2 grid points of tuning, then 1 seed each (6 runs).
KEPT = """
name = "kept"
seeds = 1
preset = "smoke"
baseline = "none"

[set]
"data.synthetic_examples" = 96

[tune]
[tune.hyperparameters."schedule.learning_rate"]
type = "choice"
values = [0.01, 0.05]

[variants.none]
"regularization.dropout" = "none"

[variants.dropout]
"regularization.dropout" = "dropout"
"regularization.dropout_placement" = "head"
"""


def _collect_script():
    spec = importlib.util.spec_from_file_location("collect", ROOT / "docs" / "results" / "collect.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _kept_runs(folder):
    return sorted(str(path.parent.relative_to(folder)) for path in Path(folder).rglob("results.json"))


def test_kept_runs_restored_elsewhere_are_read_back_and_nothing_is_retrained(tmp_path):
    collect = _collect_script()
    first, evidence, second = tmp_path / "first", tmp_path / "evidence", tmp_path / "second"
    for folder in (first, evidence, second):
        folder.mkdir()
    comparison = write_comparison(first, KEPT, name="cifar-kept.toml")
    result = run_compare(first, comparison)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = _kept_runs(comparison_root(first, "kept"))
    assert len(runs) == 6 and sum("tuning" in run for run in runs) == 4, runs

    # Collect: the records and every run's results and config, nothing else; the table is rewritten from them.
    collect.main(source_root=str(first / "logs" / "cifar"), target_root=str(evidence), recipes=str(first),
                 log=lambda *_: None)  # fmt: skip
    kept = evidence / "compare-kept"
    assert _kept_runs(kept) == runs
    files = {path.name for path in kept.rglob("*") if path.is_file()}
    assert files == {"compare.json", "tuning.json", "results.json", "config.json", "comparison.json",
                     "comparison.md", "comparison.csv", "comparison.png"}  # fmt: skip
    tuning = json.loads((kept / "tuning.json").read_text())
    rows = json.loads((kept / "comparison.json").read_text())["rows"]
    assert {row["variant"]: row["tuned"] for row in rows} == {v: r["best"] for v, r in tuning["variants"].items()}

    # Elsewhere, with the kept files only: restore, then the same command reads every run back.
    shutil.copy(comparison, second / "cifar-kept.toml")
    restored = []
    collect.restore(source_root=str(evidence), target_root=str(second / "logs" / "cifar"), log=lambda *a: restored.append(a))
    assert len(restored) == 6
    target = comparison_root(second, "kept")
    before = {run: (target / run / "results.json").read_bytes() for run in runs}
    again = run_compare(second, str(second / "cifar-kept.toml"))
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("done already") == 6, again.stdout
    assert {run: (target / run / "results.json").read_bytes() for run in runs} == before
    assert not list(target.rglob("model.keras")), "no run was trained again"
    assert json.loads((target / "comparison.json").read_text())["rows"] == rows

    # A second restore leaves what is there alone.
    (target / runs[0] / "results.json").write_text("{}")
    collect.restore(source_root=str(evidence), target_root=str(second / "logs" / "cifar"), log=lambda *_: None)
    assert (target / runs[0] / "results.json").read_text() == "{}"
