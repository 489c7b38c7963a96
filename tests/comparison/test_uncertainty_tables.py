"""The uncertainty tables of README.md and the results page say what their kept evidence says.

Each table whose header starts with ``| method | acc % |`` is an
``uncertainty`` study typed in from
``docs/results/cifar/uncertainty-<name>/uncertainty.json``, the folder its
section links to. Every number is read back and checked to the digits
printed, rows matched by method name.
"""

import json
import re
from pathlib import Path

import pytest

from tests.comparison.test_results_tables import _matches, _table_starts

ROOT = Path(__file__).resolve().parents[2]
HEADER = "| method | acc % |"
PAGES = [ROOT / "README.md", ROOT / "docs" / "results.md"]
# Column title -> (data set, metric, scale): the columns `kerasreg.comparison.uncertainty.markdown` writes.
COLUMNS = {
    "acc %": ("clean", "accuracy", 100.0),
    "NLL": ("clean", "nll", 1.0),
    "ECE": ("clean", "ece", 1.0),
    "aECE": ("clean", "adaptive_ece", 1.0),
    "shift acc %": ("shift", "accuracy", 100.0),
    "shift NLL": ("shift", "nll", 1.0),
    "shift ECE": ("shift", "ece", 1.0),
    "shift aECE": ("shift", "adaptive_ece", 1.0),
}


def _tables():
    found = []
    for page in PAGES:
        lines = page.read_text().splitlines()
        for i in _table_starts(lines):
            if not lines[i].startswith(HEADER):
                continue
            start = max(j for j in range(i) if lines[j].startswith("#"))
            folders = set(re.findall(r"results/cifar/(uncertainty-[\w-]+)/", "\n".join(lines[start:i])))
            assert len(folders) == 1, f"{page.name} line {i + 1}: the section must link one evidence folder"
            header = [cell.strip() for cell in lines[i].strip("|").split("|")]
            body = []
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                body.append([cell.strip() for cell in row.strip("|").split("|")])
            found.append((f"{page.name}:{i + 1}", folders.pop(), header, body))
    return found


TABLES = _tables()


def test_the_readme_and_the_results_page_each_show_an_uncertainty_table():
    assert {where.split(":")[0] for where, *_ in TABLES} == {"README.md", "results.md"}


def _expected(row, title):
    if title.startswith("AUROC "):
        return row["ood"][title.removeprefix("AUROC ")]["max_probability"]["auroc"], 1.0
    data, metric, scale = COLUMNS[title]
    cell = row["clean"][metric] if data == "clean" else row["shift"]["mean"][metric]
    return cell, scale


@pytest.mark.parametrize("where,folder,header,body", TABLES, ids=[t[0] for t in TABLES])
def test_uncertainty_table_follows_from_its_evidence(where, folder, header, body):
    evidence = json.loads((ROOT / "docs" / "results" / "cifar" / folder / "uncertainty.json").read_text())
    rows = evidence["rows"]
    assert sorted(cells[0] for cells in body) == sorted(rows), where  # the JSON keeps its keys sorted
    for cells in body:
        for title, text in zip(header[1:], cells[1:]):
            cell, scale = _expected(rows[cells[0]], title)
            values = [cell["mean"] * scale, (cell["high"] - cell["low"]) / 2 * scale]
            assert _matches(text, values), f"{where}, {cells[0]}, {title}: {text!r} vs {values}"
    assert min(rows[method]["clean"]["accuracy"]["n"] for method in rows) >= 3, where
