"""A 2-variant x 2-seed comparison through the CLI: runs, table files, HParams, rerun skips finished runs."""

import csv
import json
import re

import pytest

from tests.comparison.harness import comparison_root, run_compare, write_comparison


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("compare")
    path = write_comparison(cwd)
    first = run_compare(cwd, path)
    assert first.returncode == 0, first.stderr[-3000:]
    return cwd, path, first


def test_every_variant_and_seed_is_a_finished_run(compared):
    cwd, _, first = compared
    root = comparison_root(cwd)
    # Each run announced, seed-major; from the second on with the ETA of the runs left.
    headings = re.findall(r"^run (\d) of 4: (\S+) seed (\d)(.*)$", first.stdout, re.MULTILINE)
    started = [(k, v, s, rest) for k, v, s, rest in headings if not rest.startswith(":")]
    assert [(k, v, s) for k, v, s, _ in started] == [("1", "low-lr", "0"), ("2", "high-lr", "0"), ("3", "low-lr", "1"),
                                                      ("4", "high-lr", "1")]  # fmt: skip
    assert started[0][3] == "" and all(re.fullmatch(r" \(ETA \d.*s\)", rest) for *_, rest in started[1:])
    for variant, rate in (("low-lr", 0.01), ("high-lr", 0.05)):
        for seed in (0, 1):
            run = root / variant / f"seed-{seed}"
            results = json.loads((run / "results.json").read_text())
            assert results["seed"] == seed
            assert results["config"]["schedule"]["learning_rate"] == rate
            assert results["config"]["training"]["seed"] == seed
            assert {"accuracy", "loss", "nll", "brier", "ece"} <= set(results["test"])
            assert (run / "model.keras").is_file()


def test_the_table_files_have_every_column_and_the_statistics_of_the_runs(compared):
    from kerasreg.comparison import mean_interval, paired_difference

    cwd, _, first = compared
    root = comparison_root(cwd)
    table = json.loads((root / "comparison.json").read_text())
    rows = {row["variant"]: row for row in table["rows"]}
    assert list(rows) == ["low-lr", "high-lr"] and rows["low-lr"]["baseline"]

    accuracy = {v: [json.loads((root / v / f"seed-{s}" / "results.json").read_text())["test"]["accuracy"]
                    for s in (0, 1)] for v in rows}  # fmt: skip
    interval = mean_interval(accuracy["high-lr"])
    assert rows["high-lr"]["test_accuracy"]["mean"] == pytest.approx(interval.mean)
    assert rows["high-lr"]["test_accuracy"]["high"] == pytest.approx(interval.high, nan_ok=True)
    difference = paired_difference(accuracy["high-lr"], accuracy["low-lr"])
    assert rows["high-lr"]["difference"]["mean"] == pytest.approx(difference.difference.mean)
    assert rows["high-lr"]["difference"]["p_value"] == pytest.approx(difference.p_value, nan_ok=True)
    assert rows["low-lr"]["difference"] is None

    with open(root / "comparison.csv") as handle:
        reader = csv.DictReader(handle)
        records = list(reader)
    for column in ("test_accuracy_mean", "test_accuracy_ci_low", "test_accuracy_ci_high", "gap_accuracy_mean",
                   "gap_loss_mean", "test_nll_mean", "test_brier_mean", "test_ece_mean", "epochs_mean",
                   "wall_seconds_mean", "parameters", "difference_mean", "p_value"):  # fmt: skip
        assert column in reader.fieldnames
    assert [r["variant"] for r in records] == ["low-lr", "high-lr"]
    assert int(records[0]["seeds"]) == 2

    markdown = (root / "comparison.md").read_text()
    for header in ("test acc %", "Δ vs baseline", "p (paired t)", "gap acc", "gap loss", "NLL", "Brier", "ECE",
                   "epochs", "time s", "params"):  # fmt: skip
        assert header in markdown
    assert "| high-lr | 2 |" in markdown and "baseline" in markdown
    # The command prints the file's table (without its title) as written.
    assert markdown.split("\n", 2)[2] in first.stdout

    # Every run records its machine; the table names the one they shared.
    from kerasreg.engine.hardware import describe_machine, machine

    here = describe_machine(machine())
    assert table["machines"] == [{"machine": here, "runs": [[v, s] for s in (0, 1) for v in sorted(rows)]}]
    assert f"All runs on one machine: {here}." in markdown and here in first.stdout
    assert (root / "comparison.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_collect_runs_finds_the_finished_runs_with_or_without_their_seeds(compared, tmp_path):
    import shutil

    from kerasreg.comparison import collect_runs, load_comparison

    cwd, path, _ = compared
    spec = load_comparison(path)
    root = comparison_root(cwd)
    runs = collect_runs(root, spec, seeds=[0, 1])
    assert {v: sorted(s) for v, s in runs.items()} == {"low-lr": [0, 1], "high-lr": [0, 1]}
    assert runs["high-lr"][1] == json.loads((root / "high-lr" / "seed-1" / "results.json").read_text())
    assert collect_runs(root, spec) == runs  # every seed-<s> folder there
    assert collect_runs(root, spec, seeds=[1]) == {v: {1: s[1]} for v, s in runs.items()}

    # A run without results.json (interrupted) is not finished; a variant with no folder has no runs.
    copy = tmp_path / "copy"
    shutil.copytree(root / "high-lr", copy / "high-lr")
    (copy / "high-lr" / "seed-0" / "results.json").unlink()
    assert collect_runs(copy, spec) == {"high-lr": {1: runs["high-lr"][1]}}


def test_the_hparams_dashboard_sees_every_run_with_its_variant(compared):
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2

    cwd, _, _ = compared
    root = comparison_root(cwd)
    augment = {}
    for variant in ("low-lr", "high-lr"):
        for seed in (0, 1):
            run = event_accumulator.EventAccumulator(str(root / variant / f"seed-{seed}"))
            run.Reload()
            content = run.PluginTagToContent(metadata.PLUGIN_NAME)[metadata.SESSION_START_INFO_TAG]
            info = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
            assert info.hparams["variant"].string_value == variant
            assert info.hparams["training.seed"].number_value == seed
            augment[variant] = info.hparams["data.augment"].string_value
    experiment = event_accumulator.EventAccumulator(str(root))
    experiment.Reload()
    content = experiment.PluginTagToContent(metadata.PLUGIN_NAME)[metadata.EXPERIMENT_TAG]
    infos = {h.name: h for h in plugin_data_pb2.HParamsPluginData.FromString(content).experiment.hparam_infos}
    assert list(infos) == ["variant", "schedule.learning_rate", "data.augment", "training.seed"]
    # The baseline keeps the preset's augmentation: the domain holds what the runs log, the base's value too.
    assert augment["high-lr"] == "['flip']" and augment["low-lr"] != augment["high-lr"]
    assert sorted(v.string_value for v in infos["data.augment"].domain_discrete.values) == sorted(augment.values())
    # The table and the chart, as of the last finished run (4 runs).
    tensors = experiment.Tags()["tensors"]
    assert "comparison/table" in tensors and "comparison/chart" in tensors
    table = experiment.Tensors("comparison/table")[-1]
    assert table.step == 4 and b"high-lr" in table.tensor_proto.string_val[0]


def test_a_rerun_skips_finished_runs_and_more_seeds_add_runs(compared):
    cwd, path, _ = compared
    root = comparison_root(cwd)
    stamps = {p: p.stat().st_mtime_ns for p in root.glob("*/seed-*/results.json")}
    again = run_compare(cwd, path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("done already") == 4
    assert ": training" not in again.stdout and ": resuming" not in again.stdout
    assert {p: p.stat().st_mtime_ns for p in root.glob("*/seed-*/results.json")} == stamps

    more = write_comparison(cwd, open(path).read().replace("seeds = 2", "seeds = 3"), name="more.toml")
    # Same comparison name and variants: the folder is reused and only seed 2 runs.
    grown = run_compare(cwd, more)
    assert grown.returncode == 0, grown.stderr[-3000:]
    assert grown.stdout.count("done already") == 4
    assert sorted(p.parent.name for p in root.glob("low-lr/seed-*/results.json")) == ["seed-0", "seed-1", "seed-2"]
    table = json.loads((root / "comparison.json").read_text())
    assert [len(r["seeds"]) for r in table["rows"]] == [3, 3]


def test_a_changed_comparison_in_the_same_folder_is_refused(compared):
    cwd, path, _ = compared
    changed = write_comparison(cwd, open(path).read().replace("0.05", "0.07"), name="changed.toml")
    result = run_compare(cwd, changed)
    assert result.returncode == 2
    assert "holds a different comparison (variants changed)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


EXPLODING = """
name = "explode"
seeds = 1
preset = "smoke"
baseline = "fine"

[set]
"data.synthetic_examples" = 128

[variants.fine]
"schedule.learning_rate" = 0.01

[variants.explode]
"schedule.learning_rate" = 1e12
"""


def test_a_run_whose_loss_becomes_nan_is_reported_failed_and_the_rest_finish(tmp_path):
    path = write_comparison(tmp_path, EXPLODING)
    result = run_compare(tmp_path, path)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "failed: explode seed 0: the training loss became nan" in result.stderr
    assert "Traceback" not in result.stderr
    root = comparison_root(tmp_path, "explode")
    assert (root / "fine" / "seed-0" / "results.json").is_file()
    assert not (root / "explode" / "seed-0").exists()  # nothing half-written is left to be mistaken for a run
    table = json.loads((root / "comparison.json").read_text())
    assert [(f["variant"], f["seed"]) for f in table["failed"]] == [("explode", 0)]
    assert {row["variant"]: len(row["seeds"]) for row in table["rows"]} == {"fine": 1, "explode": 0}

    again = run_compare(tmp_path, path)  # the finished run is kept, the failed one is retried
    assert again.returncode == 1
    # No run trained in this process before it: no ETA yet.
    assert "run 1 of 2: fine seed 0: done already" in again.stdout and "run 2 of 2: explode seed 0\n" in again.stdout
