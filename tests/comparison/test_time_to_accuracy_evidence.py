"""docs/speed.md's time-to-accuracy tables, read back against the kept runs and the benchmark's own tables.

Each kept run (``docs/results/cifar/time-to-accuracy/<run>/``) holds the
run's ``results.json`` and ``config.json``; the benchmark's tables
(``*.md`` there) hold the wall times it measured from launch to exit.
"""

import json
import re
from pathlib import Path

import pytest

from kerasreg.engine.presets import preset_values
from kerasreg.recipes.cifar import EXPERIMENT

ROOT = Path(__file__).resolve().parents[2]
EVIDENCE = ROOT / "docs" / "results" / "cifar" / "time-to-accuracy"
SPEED = ROOT / "docs" / "speed.md"
# A row of a table the benchmark printed: "| ... | 553 s (9.2 min) | 0.8534 | 0.8386 | ..." (wall, test and
# validation accuracy).
BENCHMARK_ROW = re.compile(r"\| (\d+) s \([\d.]+ min\) \| (0\.\d{4}) \| (0\.\d{4}) \|")
VIEWS = {"flip": "flip", "flip_translate": "flip + translate", "none": "none"}


def _runs(folder=EVIDENCE):
    return sorted(path.parent for path in folder.glob("*/results.json"))


def _walls(folder=EVIDENCE):
    """``{(test, validation accuracy) to 4 digits: wall seconds}`` from every table the benchmark wrote in ``folder``."""
    walls = {}
    for table in folder.glob("*.md"):
        for wall, test, validation in BENCHMARK_ROW.findall(table.read_text()):
            assert (test, validation) not in walls, f"two runs with accuracies {test}, {validation}: ambiguous"
            walls[test, validation] = int(wall)
    return walls


def _run(path, walls):
    """What the page says of a kept run, computed from its files."""
    results = json.loads((path / "results.json").read_text())
    config = json.loads((path / "config.json").read_text())
    wall = walls[f"{results['test']['accuracy']:.4f}", f"{results['validation']['accuracy']:.4f}"]
    width, epochs = config["model"]["width"], results["epochs_run"]
    # Progressive resizing: (epochs, side) of the downscaled first epochs; (0, 0) without.
    progressive = (config["data"].get("progressive_epochs", 0), config["data"].get("progressive_size", 0))
    return {"width": width, "first_width": config["model"].get("first_width") or width, "epochs": epochs,
            "progressive": progressive, "epochs_cell": _epochs_cell(epochs, progressive), "seed": config["training"]["seed"],
            "views": VIEWS[config["training"]["test_time_augmentation"]], "wall_seconds": wall,
            "wall": f"{wall} s ({wall / 60:.1f} min)", "accuracy": f"{100 * results['test']['accuracy']:.2f} %",
            "test_accuracy": results["test"]["accuracy"], "images": f"{results['images_per_second']:.0f}",
            "batch": config["training"]["batch_size"], "learning_rate": config["schedule"]["learning_rate"],
            "config": config, "results": results}  # fmt: skip


def _epochs_cell(epochs, progressive):
    """How the page's tables write a run's epochs: "10", or "10 (first 4 at 24×24)" under progressive resizing."""
    count, side = progressive
    return f"{epochs} (first {count} at {side}×{side})" if count else str(epochs)


def _shipped(values):
    """What a preset's runs must have trained with: width, first block's width, epochs, progressive, views."""
    width = values.get("model.width", 0)  # 0: the builder's own width
    return (width, values.get("model.first_width", width), values["training.epochs"],
            (values.get("data.progressive_epochs", 0), values.get("data.progressive_size", 0)),
            VIEWS[values["training.test_time_augmentation"]])  # fmt: skip


def _check_mean(row, runs):
    """A table's mean row: the runs' mean test accuracy and wall time."""
    accuracy = sum(run["test_accuracy"] for run in runs) / len(runs)
    wall = sum(run["wall_seconds"] for run in runs) / len(runs)
    assert row["test accuracy"].startswith(f"{100 * accuracy:.2f} %"), row
    assert row["wall time"].startswith(f"{wall:.0f} s ({wall / 60:.1f} min)"), row


def _page_table(header):
    """The speed page's table whose header starts with ``header``: a dict per row, keyed by the header."""
    lines = SPEED.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    names = [cell.strip() for cell in lines[start].strip("|").split("|")]
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip().strip("*") for cell in line.strip("|").split("|")]
        rows.append(dict(zip(names, cells)))
    return rows


def test_every_kept_run_trained_in_float32_on_the_zen3_epyc_and_has_its_wall_time():
    walls = _walls()
    runs = _runs()
    assert len(runs) == 23, runs
    for path in runs:
        run = _run(path, walls)
        assert run["config"]["training"]["mixed_precision"] == "none", path.name
        machine = run["results"]["machine"]
        assert machine["cpu"] == "AMD EPYC" and machine["cores"] == 2 and machine["cpu_bfloat16"] == [], path.name
        assert run["config"]["model"]["name"] == "airbench" and run["config"]["model"]["whitening"], path.name


@pytest.mark.parametrize("preset", ["cpu-10min", "cpu-30min"])
def test_the_presets_rows_are_their_kept_runs_and_the_presets_still_train_those_runs(preset):
    walls = _walls()
    table = _page_table("| preset | net | epochs | test-time views | seed |")
    page = [row for row in table if row["preset"] == f"`{preset}`" and row["seed"] != "mean"]
    kept = [_run(path.parent, walls) for path in sorted(EVIDENCE.glob(f"{preset}-seed*/results.json"))]
    assert len(page) == len(kept) >= 1
    values = EXPERIMENT.presets[preset]
    for row, run in zip(page, kept):
        # The preset as shipped is what these runs trained.
        assert (run["width"], run["first_width"], run["epochs"], run["progressive"], run["views"]) == _shipped(values)
        assert row["net"] == f"airbench, width {run['width']}" and row["epochs"] == run["epochs_cell"]
        assert row["test-time views"] == run["views"] and row["seed"] == str(run["seed"])
        assert (row["wall time"], row["test accuracy"], row["train images/s"]) == (
            run["wall"], run["accuracy"], run["images"])  # fmt: skip
        assert run["wall_seconds"] <= int(preset.split("-")[1].removesuffix("min")) * 60, "within its budget"
    if len(kept) > 1:
        (mean,) = [row for row in table if row["preset"] == f"`{preset}`" and row["seed"] == "mean"]
        _check_mean(mean, kept)


def test_the_candidates_are_their_kept_seed_0_runs_and_the_bold_ones_the_presets():
    walls = _walls()
    header = "| budget | width (blocks) | epochs | test-time views | wall time | test accuracy |"
    table = _page_table(header)
    lines = SPEED.read_text().splitlines()
    start = lines.index(header) + 2
    bold = [lines[start + i].startswith("| **") for i in range(len(table))]
    assert [row["budget"] for row in table] == ["10 min"] * 11 + ["30 min"] * 2
    runs = [_run(path, walls) for path in _runs()]
    for row, chosen in zip(table, bold):
        width = int(row["width (blocks)"].split()[0])
        first = int(row["width (blocks)"].split("(")[1].split("/")[0])
        assert row["width (blocks)"] == f"{width} ({first}/{4 * width}/{4 * width})"
        (run,) = [r for r in runs if (r["width"], r["first_width"], r["epochs_cell"], r["seed"], r["views"], r["batch"])
                  == (width, first, row["epochs"], 0, row["test-time views"], 256)]  # fmt: skip
        over = row["wall time"].endswith(", over budget")
        wall = row["wall time"].removesuffix(", over budget")
        assert (wall, row["test accuracy"]) == (f"{run['wall_seconds']} s", run["accuracy"]), row
        minutes = int(row["budget"].split()[0])
        assert (run["wall_seconds"] > minutes * 60) == over, row
        assert not (over and chosen), row
        shipped = _shipped(EXPERIMENT.presets[f"cpu-{minutes}min"])
        assert chosen == ((run["width"], run["first_width"], run["epochs"], run["progressive"], run["views"]) == shipped), row


def test_the_batch_size_rows_are_their_kept_runs_and_the_measured_throughput():
    walls = _walls()
    table = _page_table("| batch size | peak learning rate | wall time | test accuracy | steady throughput vs batch 256 |")
    measured = dict(re.findall(r"^\| (\d+) \| [\d.]+ s \| \d+ \| ([\d.]+) \|$",
                               (EVIDENCE / "batch-size-cpu-10min.md").read_text(), re.MULTILINE))  # fmt: skip
    assert [row["batch size"] for row in table] == ["256", "128", "128", "512"]
    runs = [_run(path, walls) for path in _runs()]
    values = EXPERIMENT.presets["cpu-10min"]
    for row in table:
        batch = int(row["batch size"])
        assert row["steady throughput vs batch 256"] == measured[row["batch size"]], row
        if row["wall time"] == "not run":
            continue
        learning_rate = float(row["peak learning rate"].split()[0])
        # The batch sizes were measured on the width-24 net trained 8 epochs at full size, flip views.
        (run,) = [r for r in runs if (r["width"], r["first_width"], r["epochs"], r["progressive"], r["seed"], r["views"],
                                      r["batch"], r["learning_rate"]) == (24, 24, 8, (0, 0), 0, "flip", batch, learning_rate)]  # fmt: skip
        assert (row["wall time"], row["test accuracy"]) == (f"{run['wall_seconds']} s", run["accuracy"]), row
        if learning_rate != values["schedule.learning_rate"]:  # every rate of the schedule scaled alike
            scale = learning_rate / values["schedule.learning_rate"]
            for key in ("warmup_initial_learning_rate", "end_learning_rate"):
                assert run["config"]["schedule"][key] == pytest.approx(scale * values[f"schedule.{key}"]), key


def test_the_float32_profile_table_is_the_profiles_kept_output():
    table = _page_table("| model | train step (batch 256) | convolutions |")
    files = {"`cpu-10min` (width 24)": "profile-cpu-10min.md", "`cpu` (width 64)": "profile-cpu.md"}
    assert [row["model"] for row in table] == list(files)
    kinds = {"convolutions": "Conv2D", "max-pooling": "MaxPooling2D", "batch norm": "BatchNormalization",
             "activations": "Activation"}  # fmt: skip
    for row in table:
        text = (EVIDENCE / files[row["model"]]).read_text()
        milliseconds, images = re.search(r"train step ([\d.]+) ms \((\d+) images/s\)", text).groups()
        assert row["train step (batch 256)"] == f"{float(milliseconds):,.0f} ms ({int(images)} images/s)"
        shares = dict(re.findall(r"(\w+) (\d+)%", text.split("by kind:")[1]))
        for column, kind in kinds.items():
            assert row[column] == f"{shares[kind]} %", (row["model"], column)
        (rest,) = re.findall(r"\| everything else [^\n]*\| (\d+)% \|", text)
        assert row["everything else"] == f"{rest} %"


AMX = EVIDENCE / "xeon-amx"


def test_the_amx_rows_are_their_kept_runs_and_the_presets_still_train_them_on_amx():
    """The Xeon-with-AMX table: every kept run there, bfloat16 on that machine, and its preset rows as shipped."""
    walls = _walls(AMX)
    runs = [_run(path, walls) for path in _runs(AMX)]
    for run in runs:
        machine = run["results"]["machine"]
        assert machine["cores"] == 2 and "amx_bf16" in machine["cpu_bfloat16"] and "Xeon" in machine["cpu"]
        assert run["config"]["training"]["mixed_precision"] == "mixed_bfloat16"
    table = _page_table("| on AMX | net | epochs | test-time views | seed |")
    # What each budgeted preset trains on a CPU with AMX.
    shipped = {name: _shipped(preset_values(EXPERIMENT.presets, name, flags={"amx_bf16"}))
               for name in ("cpu-10min", "cpu-30min")}  # fmt: skip
    kept = {name: [] for name in shipped}
    for row in table:
        if row["seed"] == "mean":
            continue
        # Seconds as the benchmark printed them (its minutes come from the unrounded wall time).
        (run,) = [r for r in runs if (f"{r['wall_seconds']} s", r["accuracy"]) == (row["wall time"].split(" (")[0],
                                                                                   row["test accuracy"])]  # fmt: skip
        assert row["net"] == f"airbench, width {run['width'] or 64}" and row["epochs"] == run["epochs_cell"], row
        assert (row["test-time views"], row["seed"], row["train images/s"]) == (run["views"], str(run["seed"]),
                                                                                run["images"])  # fmt: skip
        trained = (run["width"], run["first_width"], run["epochs"], run["progressive"], run["views"])
        (name,) = [name for name, values in shipped.items() if values == trained] or ["candidate"]
        assert row["on AMX"] == (name if name == "candidate" else f"`{name}`"), row
        if name != "candidate":
            assert run["wall_seconds"] <= int(name.split("-")[1].removesuffix("min")) * 60, "within its budget"
            kept[name].append(run)
    assert len(table) == len(runs) + sum(len(mine) > 1 for mine in kept.values()), "a row per run and mean"
    assert len(kept["cpu-10min"]) == len(kept["cpu-30min"]) == 3, "each preset measured over three seeds"
    for name, mine in kept.items():
        if len(mine) > 1:
            (mean,) = [row for row in table if row["on AMX"] == f"`{name}`" and row["seed"] == "mean"]
            _check_mean(mean, mine)
