"""The measured-results page says what its evidence says, and no other page holds measured tables.

``docs/results.md`` has two parts. Above its "Earlier measurements"
heading, each table is a comparison typed in by hand from a
``docs/results/cifar/compare-<name>/comparison.json``. This reads every
number back out of the page and checks it against those files, to the
digits printed, matching rows by the variant name each row starts with (so
swapped numbers fail, in any row order), including the bootstrap, Holm
and P(improve) columns, and checks the line under each table that says
which code made its runs and the list of seeds each variant would need. Below that heading, the earlier
measurements have no kept evidence; each of their tables is listed here by
its header (``EARLIER``), so a table added there is a deliberate choice.

README.md and the documentation's other pages may hold only the reference
tables listed in ``REFERENCE`` (API, config and command-line tables) and
uncertainty-study tables (``test_uncertainty_tables.py`` checks those against
their evidence), never other measurements. The headline figure, in README.md and on the results page, is
the mean of the kept cpu-preset runs.
"""

import collections
import json
import re
from pathlib import Path

import pytest

from kerasreg.comparison import collect_runs
from kerasreg.comparison.spec import find_comparison, load_comparison
from kerasreg.comparison.table import code_groups, code_markdown

ROOT = Path(__file__).resolve().parents[2]
PAGE_PATH = ROOT / "docs" / "results.md"
PAGE = PAGE_PATH.read_text()
README = (ROOT / "README.md").read_text()
RESULTS = ROOT / "docs" / "results" / "cifar"


def _results_table_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("results_table", ROOT / "docs" / "results" / "results_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# README's table of every shipped comparison, made by docs/results/results_table.py --readme.
README_HEADER = _results_table_script().README_HEADER
EARLIER_HEADING = "## Earlier measurements"
TUNING_HEADER = "| variant (tuning) | tuned key | values | validation accuracy |"
HEADER = "| variant | seeds | test acc % (± 95% CI) |"
# The tables of uncertainty studies, checked against their evidence by test_uncertainty_tables.py.
UNCERTAINTY_HEADER = "| method | acc % |"
# The statistics every checked table has beside the t-intervals (`kerasreg.comparison.markdown`).
STATISTICS = ["boot 95% CI", "Δ boot 95% CI", "p Holm", "P(improve) [95% CI]"]
SEEDS_LINE = re.compile(r"^- `([^`]+)`: sd (\S+) pts; (> 1000|\d+) seeds for its (\S+) pts, (> 1000|\d+) for 0\.50 pts$")
# The earlier measurements' tables, by header, as often as each occurs.
EARLIER = [
    "| variant | seeds | test acc % (± 95% CI) | Δ vs baseline, pts [95% CI] | p (paired t) | gap acc | gap loss "
    "| NLL | Brier | ECE | epochs | time s |",
    "| seed | wall time | test accuracy | val accuracy | train images/s | FLOP/s vs the fp32 peak (192 GFLOP/s) "
    "| epochs |",
    "| step | test accuracy | change | val accuracy |",
    "| trick switched off | how | epochs | wall time | test accuracy | change |",
    "| seed | wall time | test accuracy | val accuracy | train images/s | FLOP/s vs the fp32 peak (192 GFLOP/s) "
    "| epochs |",
    "| epochs | wall time | test accuracy |",
    "| trick switched off | how | epochs | wall time | test accuracy | change |",
    "| kind | share | the largest |",
    "| mixed precision, activation | epoch time | speed-up |",
    "| layer | where | TensorFlow ms/step | TF ratio | JAX ms/step | JAX ratio | target |",
    "| layer | ms/step | ratio |",
    "| machine | images | loop | `mc_predict` | loop / `mc_predict` |",
]
# Tables that list what kerasreg has (API, config keys, flags), not measurements.
REFERENCE = {
    "| | what | guide |",
    "| layer | what it does | paper |",
    "| schedule | what it does | paper |",
    "| section | what it holds | keys |",
    "| file | what it holds |",
    "| command | what it does |",
    "| flag | default | what it does |",
    "| exit code | meaning |",
    "| function | what it measures |",
    "| variable | effect |",
    "| corruption | parameter | severities 1 … 5 |",
    "| row | what it is |",
}
# Measured tables of the speed page, read back against their kept runs and
# profiles by tests/comparison/test_time_to_accuracy_evidence.py.
SPEED_TABLES = {
    "| preset | net | epochs | test-time views | seed | wall time | test accuracy | train images/s | share of the fp32 peak |",
    "| budget | width (blocks) | epochs | test-time views | wall time | test accuracy |",
    "| batch size | peak learning rate | wall time | test accuracy | steady throughput vs batch 256 |",
    "| model | train step (batch 256) | convolutions | max-pooling | batch norm | activations | everything else |",
    "| on AMX | net | epochs | test-time views | seed | wall time | test accuracy | train images/s | FLOP/s vs the fp32 peak |",
}
# The evidence folders' own notes and generated tables (docs/results/...) are
# not pages of the guide, and the API reference is generated from docstrings.
GUIDE_PAGES = [ROOT / "README.md"] + sorted(
    path for path in (ROOT / "docs").rglob("*.md")
    if path != PAGE_PATH and not path.relative_to(ROOT / "docs").parts[0] in ("results", "api"))  # fmt: skip
# p-values below 0.001 print in scientific notation (7.9e-05).
NUMBER = re.compile(r"[+−-]?\d+(?:\.\d+)?(?:e[+−-]?\d+)?")
LABEL = re.compile(r"^`([^`]+)` — \S")


def _table_starts(lines):
    """Indexes of the header lines of the Markdown tables in ``lines`` (indented ones too)."""
    return [i for i in range(len(lines) - 1)
            if lines[i].lstrip().startswith("|") and re.match(r"\s*\|\s*:?-", lines[i + 1])]  # fmt: skip


def _table_body(lines, start):
    """The cells of each body row of the table whose header is ``lines[start]``."""
    body = []
    for row in lines[start + 2 :]:
        if not row.startswith("|"):
            break
        body.append([cell.strip() for cell in row.strip("|").split("|")])
    return body


def _split_page():
    assert PAGE.count(f"\n{EARLIER_HEADING}\n") == 1, f"docs/results.md needs one {EARLIER_HEADING!r} heading"
    checked, earlier = PAGE.split(f"\n{EARLIER_HEADING}\n")
    return checked.splitlines(), earlier.splitlines()


def _tables():
    """(comparison name, header cells, body rows, text under the table) for each checked table, in page order."""
    lines, _ = _split_page()
    found = []
    for i in _table_starts(lines):
        line = lines[i]
        if line.startswith(UNCERTAINTY_HEADER):
            continue  # an uncertainty study's table: tests/comparison/test_uncertainty_tables.py checks it
        if line.startswith(TUNING_HEADER):
            continue  # a tuned comparison's tuning: test_the_tuning_table_is_the_kept_tuning checks it
        assert line.startswith(HEADER), f"docs/results.md line {i + 1}: a table above {EARLIER_HEADING!r} " \
                                        f"that is not a checked comparison: {line}"  # fmt: skip
        # The table's command line is in its section: the text since the last heading.
        start = max(j for j in range(i) if lines[j].startswith("#"))
        names = set(re.findall(r"recipes/cifar-([\w-]+)\.toml --data", "\n".join(lines[start:i])))
        assert len(names) == 1, f"docs/results.md line {i + 1}: the section must name one " \
                                f"`compare recipes/cifar-<name>.toml --data ...` command; found {sorted(names)}"  # fmt: skip
        header = [cell.strip() for cell in line.strip("|").split("|")]
        body = _table_body(lines, i)
        end = i + 2 + len(body)
        after = "\n".join(lines[end + 1:end + 12])
        found.append((names.pop(), header, body, after))
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


def test_the_results_page_has_checked_comparisons():
    assert len(TABLES) >= 3


def test_every_earlier_table_is_listed():
    _, earlier = _split_page()
    headers = [earlier[i].strip() for i in _table_starts(earlier)]
    assert collections.Counter(headers) == collections.Counter(EARLIER), (
        "docs/results.md: the tables under 'Earlier measurements' differ from EARLIER in this test")


@pytest.mark.parametrize("path", GUIDE_PAGES, ids=[str(p.relative_to(ROOT)) for p in GUIDE_PAGES])
def test_other_pages_hold_reference_tables_only(path):
    lines = path.read_text().splitlines()
    unchecked = [lines[i].strip() for i in _table_starts(lines)
                 if lines[i].strip() not in REFERENCE | SPEED_TABLES and not lines[i].startswith(UNCERTAINTY_HEADER)
                 and not (path == ROOT / "README.md" and lines[i].strip() == README_HEADER)]  # fmt: skip
    assert not unchecked, (f"{path.relative_to(ROOT)}: tables that are neither listed reference tables nor on "
                           f"docs/results.md, where measurements are checked: {unchecked}")  # fmt: skip


def test_the_results_page_has_a_measured_table_for_every_shipped_comparison():
    # A comparison file is one with variants; each has a measured table, or
    # its variants are rows of a measured table the page points to.
    shipped = {path.stem.removeprefix("cifar-") for path in (ROOT / "recipes").glob("cifar-*.toml")
               if re.search(r"^\[variants", path.read_text(), re.MULTILINE)}
    names = [name for name, _, _, _ in TABLES]
    checked, _ = _split_page()
    covered_elsewhere = {name for name in shipped - set(names) if f"`cifar-{name}.toml` asks" in "\n".join(checked)}
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
def test_results_table_follows_from_its_evidence(name, header, body, after):
    evidence = json.loads((RESULTS / f"compare-{name}" / "comparison.json").read_text())
    rows = evidence["rows"]
    by_label = _rows_by_label(name, body)
    assert sorted(by_label) == sorted(row["variant"] for row in rows), name
    column = {}
    for i, title in enumerate(header):  # by first word; the t-test columns come before their bootstrap/Holm ones
        column.setdefault(title.split(" ")[0], i)
    assert all(title in header for title in STATISTICS), f"{name}: the table lacks some of {STATISTICS}"
    for row in rows:
        cells = by_label[row["variant"]]
        where = f"{name}, row {row['variant']!r}"
        assert int(cells[column["seeds"]]) == len(row["seeds"]), where
        accuracy = row["test_accuracy"]
        half_width = (accuracy["high"] - accuracy["low"]) / 2
        assert _matches(cells[column["test"]], [100 * accuracy["mean"], 100 * half_width]), where
        booted = row["bootstrap"]
        assert _matches(cells[header.index("boot 95% CI")], [100 * booted["low"], 100 * booted["high"]]), where
        delta = cells[column["Δ"]]
        tests = [cells[header.index(title)] for title in STATISTICS[1:]]
        if row["baseline"]:
            assert delta == "baseline" and cells[column["p"]] == "" and tests == ["", "", ""], where
        else:
            d = row["difference"]
            assert _matches(delta, [100 * d["mean"], 100 * d["low"], 100 * d["high"]]), where
            assert _matches(cells[column["p"]], [d["p_value"]]), where
            assert _matches(tests[0], [100 * d["bootstrap"]["low"], 100 * d["bootstrap"]["high"]]), f"{where}: Δ boot"
            assert _matches(tests[1], [d["p_holm"]]), f"{where}: p Holm"
            improve = d["p_improve"]
            assert _matches(tests[2], [improve["mean"], improve["low"], improve["high"]]), f"{where}: P(improve)"
        for title, key in [("gap acc", "gap_accuracy"), ("gap loss", "gap_loss"), ("NLL", "test_nll"),
                           ("Brier", "test_brier"), ("ECE", "test_ece")]:
            assert _matches(cells[header.index(title)], [row[key]["mean"]]), f"{where}: {title}"
        assert _matches(cells[column["epochs"]], [row["epochs"]["mean"]]), f"{where}: epochs"
        if "time" in column:
            assert _matches(cells[column["time"]], [row["wall_seconds"]["mean"]]), f"{where}: time s"


@pytest.mark.parametrize("name,header,body,after", TABLES, ids=[t[0] for t in TABLES])
def test_results_table_says_which_code_made_its_runs(name, header, body, after):
    folder = RESULTS / f"compare-{name}"
    _, spec = find_comparison(ROOT / "recipes", folder.name, "cifar-*.toml")
    runs = collect_runs(folder, spec)
    groups = code_groups(runs)
    assert json.loads((folder / "comparison.json").read_text())["code"] == json.loads(json.dumps(groups)), name
    # One code version, or a table that lists each one ("Mixed code: ...").
    assert after.startswith(code_markdown(groups, runs).rstrip("\n")), (
        f"{name}: the line under the table must say which code made its runs: {code_markdown(groups, runs)!r}")


def _section(name):
    """The checked part's text from the heading of ``name``'s section to the next heading."""
    lines, _ = _split_page()
    text = "\n".join(lines)
    sections = re.split(r"\n(?=#+ )", text)
    found = [s for s in sections if f"recipes/cifar-{name}.toml --data" in s]
    assert len(found) == 1, name
    return found[0]


@pytest.mark.parametrize("name", [t[0] for t in TABLES])
def test_results_table_lists_the_seeds_each_variant_needs(name):
    evidence = json.loads((RESULTS / f"compare-{name}" / "comparison.json").read_text())
    planned = {row["variant"]: row["difference"] for row in evidence["rows"]
               if row["difference"] and row["difference"]["seeds_needed"]}  # fmt: skip
    listed = {}
    for line in _section(name).splitlines():
        match = SEEDS_LINE.match(line)
        if match:
            assert match.group(1) not in listed, f"{name}: {match.group(1)} listed twice"
            listed[match.group(1)] = match.groups()[1:]
    assert sorted(listed) == sorted(planned), name
    for variant, (sd, observed, difference, at_target) in listed.items():
        cell, where = planned[variant], f"{name}, {variant}"
        needed = cell["seeds_needed"]
        # The page says "80 % power", "α = 0.05" and "0.50 pts" once for all its lists.
        assert (needed["power"], needed["alpha"], needed["target"]) == (0.8, 0.05, 0.005), where
        assert _matches(sd, [100 * cell["sd"]]) and _matches(difference, [100 * cell["mean"]]), where
        for shown, seeds in ((observed, needed["observed"]), (at_target, needed["at_target"])):
            assert shown == ("> 1000" if seeds is None else str(seeds)), where


def _swap_first_two_labels(body):
    swapped = [list(cells) for cells in body]
    swapped[0][0], swapped[1][0] = swapped[1][0], swapped[0][0]
    return swapped


def test_swapped_row_labels_are_caught():
    name, header, body, after = TABLES[0]
    with pytest.raises(AssertionError):
        test_results_table_follows_from_its_evidence(name, header, _swap_first_two_labels(body), after)


def _headline_runs():
    folder = RESULTS / "compare-dropout-ablation" / "dropout=none,batch_norm=true"
    return [json.loads((folder / f"seed-{seed}" / "results.json").read_text()) for seed in (0, 1, 2)]


@pytest.mark.parametrize("page", ["README.md", "docs/results.md"])
def test_headline_figure_is_the_mean_of_the_kept_cpu_preset_runs(page):
    # These runs belong to the shipped comparison file (test_measured_results);
    # its baseline is the cpu preset unchanged.
    text = " ".join((ROOT / page).read_text().split())  # line breaks as spaces
    _, spec = find_comparison(ROOT / "recipes", "compare-dropout-ablation", "cifar-*.toml")
    assert spec.baseline == "dropout=none,batch_norm=true"
    runs = _headline_runs()
    accuracies = [100 * r["test"]["accuracy"] for r in runs]
    assert f"**{sum(accuracies) / 3:.2f} % test accuracy**" in text
    assert "mean of seeds 0, 1, 2 (" + ", ".join(f"{a:.2f} %" for a in accuracies) + ")" in text
    seconds = [f"{run['wall_time_seconds']:,.0f} s" for run in runs]
    assert f"{seconds[0]} for seed 0 on a 2-core AMD EPYC" in text and runs[0]["machine"]["cpu"] == "AMD EPYC"
    assert f"{seconds[1]} and {seconds[2][:-2]} s for seeds 1 and 2 on a 2-core Intel Xeon with AMX" in text
    assert all("amx_bf16" in run["machine"]["cpu_bfloat16"] for run in runs[1:])


def test_readmes_table_has_a_row_per_shipped_comparison_from_its_evidence():
    text = README.splitlines()
    start = text.index(README_HEADER)
    end = next(i for i in range(start, len(text)) if not text[i].startswith("|"))
    assert "\n".join(text[start:end]) == _results_table_script().readme_table(str(ROOT))
    # Every comparison file is a row; the kept ones carry numbers.
    files = [p for p in (ROOT / "recipes").glob("cifar-*.toml") if not p.name.endswith("-tune.toml")]
    assert end - start - 2 == len(files)
    measured = [line for line in text[start + 2:end] if "no kept runs yet" not in line]
    shared = [line for line in measured if ", the runs of `" in line]
    assert len(measured) - len(shared) == len(list(RESULTS.glob("compare-*/comparison.json")))


def test_a_comparison_whose_runs_another_keeps_reads_them_there(tmp_path):
    """dropout-vs-none's runs are the dropout ablation's two rows of its settings, seed for seed."""
    script = _results_table_script()
    path = ROOT / "recipes" / "cifar-dropout-vs-none.toml"
    name, runs = script.shared_runs(str(ROOT), load_comparison(str(path)), str(path))
    assert name == "dropout-ablation"
    kept = RESULTS / "compare-dropout-ablation"
    rows = {"no-dropout": "dropout=none,batch_norm=true", "dropout": "dropout=dropout,batch_norm=true"}
    for variant, row in rows.items():
        assert sorted(runs[variant]) == [0, 1, 2]
        for seed, results in runs[variant].items():
            assert results == json.loads((kept / row / f"seed-{seed}" / "results.json").read_text())
    # The same paired runs give the ablation's difference for that row.
    table = json.loads((kept / "comparison.json").read_text())
    (ablation,) = [r for r in table["rows"] if r["variant"] == rows["dropout"]]
    line = next(line for line in README.splitlines() if line.startswith("| `dropout-vs-none`"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[1] == "6 (2 × 3), the runs of `dropout-ablation`"
    assert _matches(cells[3], [100 * ablation["difference"]["mean"], 100 * ablation["difference"]["bootstrap"]["low"],
                               100 * ablation["difference"]["bootstrap"]["high"]])  # fmt: skip
    # One test, so Holm leaves its p-value as it is.
    assert cells[4] == script._p(ablation["difference"]["p_value"])
    # A setting no kept run has (rate 0.2) finds none.
    other = tmp_path / "cifar-other.toml"
    other.write_text(path.read_text().replace('"regularization.dropout_rate" = 0.1', '"regularization.dropout_rate" = 0.2'))
    assert '"regularization.dropout_rate" = 0.2' in other.read_text()
    assert script.shared_runs(str(ROOT), load_comparison(str(other)), str(other)) is None


def test_a_kept_run_is_the_same_run_wherever_its_data_file_was_read_from():
    same_run = _results_table_script()._same_run
    recorded = json.loads((RESULTS / "compare-dropout-ablation" / "dropout=dropout,batch_norm=true" / "seed-0"
                           / "results.json").read_text())["config"]  # fmt: skip
    moved = {**recorded, "data": {**recorded["data"], "source": "/elsewhere/shared/data/cifar10-jpeg.tar.gz"}}
    assert same_run(moved, recorded)
    changed = {**recorded, "regularization": {**recorded["regularization"], "dropout_rate": 0.2}}
    assert not same_run(changed, recorded)


def test_readmes_row_of_a_comparison_under_way_says_what_is_kept_and_no_statistics():
    # A tuned comparison with some tuning runs kept and no final run yet: no variant to compare.
    rows = [{"baseline": True, "difference": None, "seeds": [], "variant": "none"},
            {"baseline": False, "difference": None, "seeds": [], "variant": "dropout"}]  # fmt: skip
    row = _results_table_script().readme_row("tuned", {"rows": rows, "baseline": "none"}, "f", (4, 9))
    assert row == "| `tuned` (f) | 0 | no final runs yet (4 of 9 tuning runs kept) | | | | |"
    # Its first final runs kept, a variant paired with the baseline on one seed: still no statistics.
    rows[0]["seeds"], rows[1]["seeds"] = [0], [0]
    rows[1]["difference"] = {"n": 1, "mean": -0.002, "seeds_needed": None}
    table = {"rows": rows, "baseline": "none", "seeds_requested": 3}
    row = _results_table_script().readme_row("tuned", table, "f", (9, 9))
    assert row == "| `tuned` (f) | 2 | too few seeds for statistics (2 of 6 final runs kept) | | | | |"


def test_readmes_row_takes_the_best_variant_and_its_own_statistics():
    table = json.loads((RESULTS / "compare-regularizers" / "comparison.json").read_text())
    best = max((r for r in table["rows"] if not r["baseline"]), key=lambda r: r["difference"]["mean"])
    row = _results_table_script().readme_row("regularizers", table, "f")
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2] == f"`{best['variant']}` vs `{table['baseline']}`"
    assert _matches(cells[3], [100 * best["difference"]["mean"], 100 * best["difference"]["bootstrap"]["low"],
                               100 * best["difference"]["bootstrap"]["high"]])  # fmt: skip
    assert cells[6] == str(best["difference"]["seeds_needed"]["at_target"])


def test_the_tuning_table_is_the_kept_tuning():
    """The tuned dropout comparison's tuning table: every trial's values and score, its best in bold."""
    lines, _ = _split_page()
    (start,) = [i for i in _table_starts(lines) if lines[i].startswith(TUNING_HEADER)]
    tuning = json.loads((RESULTS / "compare-dropout-tuned" / "tuning.json").read_text())
    rows = _table_body(lines, start)
    assert sorted(row[0] for row in rows) == sorted(f"`{name}`" for name in tuning["variants"])
    for name, key, values, accuracy in rows:
        variant, key = tuning["variants"][name.strip("`")], key.strip("`")
        trials = sorted(variant["trials"], key=lambda trial: trial["index"])
        assert all(trial["status"] == "COMPLETED" and list(trial["values"]) == [key] for trial in trials)
        assert values == " / ".join(f"{trial['values'][key]:g}" for trial in trials), name
        scores = [f"{100 * trial['objective']:.2f}" for trial in trials]
        scores = [f"**{score}**" if trial["values"] == variant["best"] else score for score, trial in zip(scores, trials)]
        assert accuracy == " / ".join(scores) + " %", name
