"""docs/results: the measured comparison runs belong to the shipped files, and their tables follow from them.

The comparison tables of docs/results.md are copied from these folders, so
a shipped file edited without rerunning, a run copied into the wrong
folder, or a table that does not follow from its runs fails here.
"""

import json
import math
import os
from pathlib import Path

import pytest

from kerasreg.comparison import csv_text, markdown, summarize, variant_config
from kerasreg.comparison.dispatch import _tuning_config, tuned_values, tuning_plan
from kerasreg.comparison.spec import find_comparison
from kerasreg.comparison.runner import comparison_identity
from kerasreg.comparison.table import STATISTICS, machine_groups
from kerasreg.comparison import comparison_base
from kerasreg.config import to_dict
from kerasreg.config.recorded import as_recorded
from kerasreg.recipes.cifar import EXPERIMENT

ROOT = Path(__file__).resolve().parents[2]
# The command the runs were made with (docs/results.md, docs/results/evidence.md).
DATA = "../shared/data/cifar10-jpeg.tar.gz"
FOLDERS = sorted((ROOT / "docs" / "results" / "cifar").glob("compare-*"))


def _shipped_spec(folder):
    found = find_comparison(ROOT / "recipes", folder.name, "cifar-*.toml")
    assert found, f"{folder} matches no comparison file in recipes/"
    return found


def _data_file(config):
    """``config`` (a dict) with its data path as the part below ``shared/``.

    A run records the path as typed: relative to the repository's root, where
    the runs were started (``../shared/...``), or absolute on the measuring
    machine, whose checkout may sit elsewhere than this one. Both name the
    file below the ``shared`` folder beside the checkout, so that part is what
    must agree.
    """
    path = Path(os.path.normpath(ROOT / config["data"]["source"]))
    parts = path.parts
    source = "/".join(parts[len(parts) - parts[::-1].index("shared"):]) if "shared" in parts else str(path)
    return {**config, "data": {**config["data"], "source": source}}


def _identity(identity):
    return {**identity, "config": _data_file(identity["config"])}




def _close(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if a is None or b is None:
        return a is b
    if isinstance(a, float) or isinstance(b, float):
        # abs_tol: an interval bound near zero is a difference of two larger
        # numbers, so another SciPy's last-digit change in its t quantile is a
        # large relative change there (−2.2215114568e-05 against ...698e-05).
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def test_there_are_measured_comparisons():
    assert FOLDERS, "docs/results/cifar holds no compare-* folder"


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_measured_runs_belong_to_the_shipped_file_and_give_its_table(folder):
    path, spec = _shipped_spec(folder)
    recorded = json.loads((folder / "compare.json").read_text())
    # "auto" precision resolves per machine (bfloat16 where the CPU has it):
    # take the measuring machine's choice, so this checks the file, not this CPU.
    precision = recorded["config"]["training"]["mixed_precision"]
    flags = {"data.source": str(ROOT / DATA), "training.mixed_precision": precision}
    base = comparison_base(EXPERIMENT, spec, flags=flags, origin=str(path), log=lambda *_: None)
    current = comparison_identity(base, spec)
    current = {**current, "config": as_recorded(current["config"], recorded["config"])}
    assert _identity(recorded) == _identity(current), f"{path.name} changed since {folder.name} was measured"

    variants = {v.folder: v for v in spec.variants}
    # A tuned comparison's final runs train each variant at its best tuned values (tuning.json).
    tuned = tuned_values(str(folder), spec, list(range(spec.seeds))) if spec.tune is not None else None
    runs = {}
    for results_path in sorted(folder.glob("*/seed-*/results.json")):
        variant = variants[results_path.parent.parent.name]
        seed = int(results_path.parent.name.removeprefix("seed-"))
        results = json.loads(results_path.read_text())
        if tuned is None:
            config = variant_config(base, variant, seed)
        else:
            config = _tuning_config(base, variant, tuned[variant.name], seed)
        expected = _data_file(as_recorded(to_dict(config), results["config"]))
        assert results["seed"] == seed and _data_file(results["config"]) == expected, results_path
        config = json.loads((results_path.parent / "config.json").read_text())
        assert _data_file(config) == expected, results_path
        runs.setdefault(variant.name, {})[seed] = results
    # A tuned comparison keeps its tuning runs too: each is its variant at the
    # tuning seed with the plan's values of its index.
    tuning = sorted(folder.glob("*/tuning/trial-*/results.json"))
    if tuning:
        plan = tuning_plan(spec, base, str(path))
        seed = spec.tune.seed_for(base.training.seed)
        for results_path in tuning:
            variant = variants[results_path.parents[2].name]
            index = int(results_path.parent.name.removeprefix("trial-"))
            config = to_dict(_tuning_config(base, variant, plan[variant.name][index], seed))
            results = json.loads(results_path.read_text())
            expected = _data_file(as_recorded(config, results["config"]))
            assert results["seed"] == seed and _data_file(results["config"]) == expected, results_path
            assert _data_file(json.loads((results_path.parent / "config.json").read_text())) == expected
    if not runs:  # a long comparison under way, its final runs not started: its table has no statistics
        assert tuning, f"{folder} holds no finished run"
        table = json.loads((folder / "comparison.json").read_text())
        assert all(not row["seeds"] and row["test_accuracy"] is None for row in table["rows"])
        return

    table = json.loads((folder / "comparison.json").read_text())
    assert table["comparison"] == spec.name and table["baseline"] == spec.baseline
    rows = summarize(spec, runs)
    for row in rows if tuned is not None else ():
        row["tuned"] = tuned[row["variant"]]
    assert _close(table["rows"], json.loads(json.dumps(rows)))
    # Its Markdown and CSV, bootstrap, Holm, P(improve) and seed counts included, are those rows'.
    assert table["statistics"] == STATISTICS
    assert markdown(table["rows"]) in (folder / "comparison.md").read_text()
    assert (folder / "comparison.csv").read_bytes().decode() == csv_text(table["rows"])  # csv ends lines with \r\n
    # The table says which machines its runs (and so its times) come from.
    assert table["machines"] == json.loads(json.dumps(machine_groups(runs)))
