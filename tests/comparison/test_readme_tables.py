"""The README's measured comparison tables say what their evidence says.

Each table in the README's results section is typed in by hand from a
``docs/results/cifar/compare-<name>/comparison.json``; this reads every
number back out of the table and checks it against that file, to the digits
printed, so a mistyped cell, a swapped row or a table left behind after the
runs were collected again fails here.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
RESULTS = ROOT / "docs" / "results" / "cifar"
# Measured at commit 94e983f, before docs/results kept each run's files.
WITHOUT_EVIDENCE = {"dropout-vs-none"}
HEADER = "| variant | seeds | test acc % (± 95% CI) |"
# p-values below 0.001 print in scientific notation (7.9e-05).
NUMBER = re.compile(r"[+−-]?\d+(?:\.\d+)?(?:e[+−-]?\d+)?")


def _tables():
    """(comparison name, header cells, body rows) for each results table, in README order."""
    lines = README.splitlines()
    found = []
    for i, line in enumerate(lines):
        if not line.startswith(HEADER):
            continue
        # The table's command line is in the paragraph just above it.
        names = re.findall(r"recipes/cifar-([\w-]+)\.toml --data", "\n".join(lines[max(0, i - 15):i]))
        assert names, f"README line {i + 1}: no `compare recipes/cifar-<name>.toml` command above the table"
        header = [cell.strip() for cell in line.strip("|").split("|")]
        body = []
        for row in lines[i + 2:]:
            if not row.startswith("|"):
                break
            body.append([cell.strip() for cell in row.strip("|").split("|")])
        found.append((names[-1], header, body))
    return found


TABLES = _tables()


def _numbers(cell):
    return [float(n.replace("−", "-")) for n in NUMBER.findall(cell)]


def _decimals(cell):
    """The decimal places each printed number is exact to (7.9e-05: 6)."""
    places = []
    for n in NUMBER.findall(cell):
        mantissa, _, exponent = n.replace("−", "-").partition("e")
        decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
        places.append(decimals - int(exponent or 0))
    return places


def _matches(cell, values):
    """Whether the numbers printed in ``cell`` are ``values`` rounded to the digits shown."""
    printed = _numbers(cell)
    if len(printed) != len(values):
        return False
    for shown, digits, value in zip(printed, _decimals(cell), values):
        if abs(shown - value) > 0.5 * 10 ** -digits + 1e-12:
            return False
    return True


def test_readme_has_a_measured_table_for_every_shipped_comparison():
    # A comparison file is one with variants; issue 7 asks for each one's measured table.
    shipped = {path.stem.removeprefix("cifar-") for path in (ROOT / "recipes").glob("cifar-*.toml")
               if re.search(r"^\[variants", path.read_text(), re.MULTILINE)}
    names = [name for name, _, _ in TABLES]
    assert len(shipped) >= 4 and sorted(names) == sorted(shipped), (names, shipped)
    for name in names:
        assert name in WITHOUT_EVIDENCE or (RESULTS / f"compare-{name}" / "comparison.json").exists(), name


@pytest.mark.parametrize(
    "name,header,body",
    [t for t in TABLES if t[0] not in WITHOUT_EVIDENCE],
    ids=[t[0] for t in TABLES if t[0] not in WITHOUT_EVIDENCE],
)
def test_readme_table_follows_from_its_evidence(name, header, body):
    rows = json.loads((RESULTS / f"compare-{name}" / "comparison.json").read_text())["rows"]
    assert len(body) == len(rows), f"{name}: README has {len(body)} rows, comparison.json {len(rows)}"
    column = {title.split(" ")[0]: i for i, title in enumerate(header)}
    for cells, row in zip(body, rows):
        where = f"{name}, row {row['variant']!r}"
        assert int(cells[column["seeds"]]) == len(row["seeds"]), where
        accuracy = row["test_accuracy"]
        half_width = (accuracy["high"] - accuracy["low"]) / 2
        assert _matches(cells[column["test"]], [100 * accuracy["mean"], 100 * half_width]), where
        delta = cells[column["Δ"]]
        if row["baseline"]:
            assert delta == "baseline" and cells[column["p"]] == "", where
        else:
            d = row["difference"]
            assert _matches(delta, [100 * d["mean"], 100 * d["low"], 100 * d["high"]]), where
            assert _matches(cells[column["p"]], [d["p_value"]]), where
        for title, key in [("gap acc", "gap_accuracy"), ("gap loss", "gap_loss"), ("NLL", "test_nll"),
                           ("Brier", "test_brier"), ("ECE", "test_ece")]:
            assert _matches(cells[header.index(title)], [row[key]["mean"]]), f"{where}: {title}"
        assert _matches(cells[column["epochs"]], [row["epochs"]["mean"]]), f"{where}: epochs"
        if "time" in column:
            assert _matches(cells[column["time"]], [row["wall_seconds"]["mean"]]), f"{where}: time s"
