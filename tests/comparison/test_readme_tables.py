"""The README's measured figures say what their evidence says.

Each comparison table in the README is typed in by hand from a
``docs/results/cifar/compare-<name>/comparison.json``, and the headline
figure from the cpu preset's runs kept there. This reads every number back
out of the README and checks it against those files, to the digits printed,
matching rows by the variant name each row starts with (so swapped
numbers fail, in any row order), and checks the line under each table
that says which code made its runs. Tables of other measurements are not
allowed in the README unless they are checked here.
"""

import json
import re
from pathlib import Path

import pytest

from kerasreg.comparison import collect_runs
from kerasreg.comparison.spec import find_comparison
from kerasreg.comparison.table import code_groups, code_markdown

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
RESULTS = ROOT / "docs" / "results" / "cifar"
HEADER = "| variant | seeds | test acc % (± 95% CI) |"
# Tables that list API, not measurements.
REFERENCE_HEADERS = ("| layer | what it does | paper |", "| schedule | what it does | paper |")
# p-values below 0.001 print in scientific notation (7.9e-05).
NUMBER = re.compile(r"[+−-]?\d+(?:\.\d+)?(?:e[+−-]?\d+)?")
LABEL = re.compile(r"^`([^`]+)` — \S")


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
        end = i + 2
        for row in lines[i + 2:]:
            if not row.startswith("|"):
                break
            body.append([cell.strip() for cell in row.strip("|").split("|")])
            end += 1
        after = "\n".join(lines[end + 1:end + 12])
        found.append((names[-1], header, body, after))
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


def _table_headers():
    return [line for line in README.splitlines() if line.startswith("|") and not line.startswith(("|---", "|:"))
            and README.splitlines()[README.splitlines().index(line) + 1].startswith("|--")]  # fmt: skip


def test_every_table_in_the_readme_is_a_checked_comparison_or_api_reference():
    headers = _table_headers()
    unchecked = [h for h in headers if not h.startswith(HEADER) and h not in REFERENCE_HEADERS]
    assert not unchecked, f"README tables no test checks against evidence: {unchecked}"
    assert sum(h.startswith(HEADER) for h in headers) == len(TABLES) >= 3


def test_readme_has_a_measured_table_for_every_shipped_comparison():
    # A comparison file is one with variants; each has a measured table, or
    # its variants are rows of a measured table the README points to.
    shipped = {path.stem.removeprefix("cifar-") for path in (ROOT / "recipes").glob("cifar-*.toml")
               if re.search(r"^\[variants", path.read_text(), re.MULTILINE)}
    names = [name for name, _, _, _ in TABLES]
    covered_elsewhere = {name for name in shipped - set(names) if f"`cifar-{name}.toml` asks" in README}
    assert len(shipped) >= 4 and sorted(names) == sorted(shipped - covered_elsewhere), (names, shipped)
    for name in names:
        assert (RESULTS / f"compare-{name}" / "comparison.json").exists(), name


def _rows_by_label(name, body):
    by_label = {}
    for cells in body:
        match = LABEL.match(cells[0])
        assert match, f"{name}: row {cells[0]!r} does not start with its `variant` name"
        assert match.group(1) not in by_label, f"{name}: variant {match.group(1)!r} twice"
        by_label[match.group(1)] = cells
    return by_label


@pytest.mark.parametrize("name,header,body,after", TABLES, ids=[t[0] for t in TABLES])
def test_readme_table_follows_from_its_evidence(name, header, body, after):
    evidence = json.loads((RESULTS / f"compare-{name}" / "comparison.json").read_text())
    rows = evidence["rows"]
    by_label = _rows_by_label(name, body)
    assert sorted(by_label) == sorted(row["variant"] for row in rows), name
    column = {title.split(" ")[0]: i for i, title in enumerate(header)}
    for row in rows:
        cells = by_label[row["variant"]]
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


@pytest.mark.parametrize("name,header,body,after", TABLES, ids=[t[0] for t in TABLES])
def test_readme_table_says_which_code_made_its_runs(name, header, body, after):
    folder = RESULTS / f"compare-{name}"
    _, spec = find_comparison(ROOT / "recipes", folder.name, "cifar-*.toml")
    runs = collect_runs(folder, spec)
    groups = code_groups(runs)
    assert json.loads((folder / "comparison.json").read_text())["code"] == json.loads(json.dumps(groups)), name
    # One code version, or a table that lists each one ("Mixed code: ...").
    assert after.startswith(code_markdown(groups, runs).rstrip("\n")), (
        f"{name}: the line under the table must say which code made its runs: {code_markdown(groups, runs)!r}")


def _swap_first_two_labels(body):
    swapped = [list(cells) for cells in body]
    swapped[0][0], swapped[1][0] = swapped[1][0], swapped[0][0]
    return swapped


def test_swapped_row_labels_are_caught():
    name, header, body, after = TABLES[0]
    with pytest.raises(AssertionError):
        test_readme_table_follows_from_its_evidence(name, header, _swap_first_two_labels(body), after)


def _headline_runs():
    folder = RESULTS / "compare-dropout-ablation" / "dropout=none,batch_norm=true"
    return [json.loads((folder / f"seed-{seed}" / "results.json").read_text()) for seed in (0, 1, 2)]


def test_headline_figure_is_the_mean_of_the_kept_cpu_preset_runs():
    # These runs belong to the shipped comparison file (test_measured_results);
    # its baseline is the cpu preset unchanged.
    _, spec = find_comparison(ROOT / "recipes", "compare-dropout-ablation", "cifar-*.toml")
    assert spec.baseline == "dropout=none,batch_norm=true"
    runs = _headline_runs()
    accuracies = [100 * r["test"]["accuracy"] for r in runs]
    assert f"**{sum(accuracies) / 3:.2f} % test accuracy**" in README
    assert "mean of seeds 0, 1, 2 (" + ", ".join(f"{a:.2f} %" for a in accuracies) + ")" in README
    seconds = [f"{run['wall_time_seconds']:,.0f} s" for run in runs]
    assert f"{seconds[0]} for seed 0 on a 2-core AMD EPYC" in README and runs[0]["machine"]["cpu"] == "AMD EPYC"
    assert f"{seconds[1]} and {seconds[2][:-2]} s for seeds 1 and 2 on a 2-core Intel Xeon with AMX" in README
    assert all("amx_bf16" in run["machine"]["cpu_bfloat16"] for run in runs[1:])
