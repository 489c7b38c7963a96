"""The comparison's time-to-target table: per variant and target, seeds that reached it and their median time."""

import math
from fractions import Fraction

import pytest

from kerasreg.comparison import ComparisonSpec, Variant, markdown, summarize
from kerasreg.comparison.table import seeds_to_reach, time_to_target_markdown, time_to_target_summary

OBJECTIVE = {"name": "val_accuracy", "mode": "max"}


def run(accuracy, records=None, objective=OBJECTIVE):
    """A finished run's results.json, as far as the table reads it; ``records``: ``{target: (epoch, seconds)}``."""
    results = {"test": {"accuracy": accuracy, "loss": 1 - accuracy}, "objective": objective}
    if records is not None:
        results["time_to_target"] = [{"target": t, "epoch": e, "seconds": s} for t, (e, s) in records.items()]
    return results


def spec(*names):
    return ComparisonSpec("t", 5, [Variant(name, {}) for name in names], names[0], {})


# The baseline: 0.9 reached by 4 of 5 seeds (epochs 3, 5, 4, 6; seconds 30, 50, 40, 60), 0.95 by 2 of 5.
BASE = {0: run(0.90, {0.9: (3, 30.0), 0.95: (None, None)}), 1: run(0.91, {0.9: (5, 50.0), 0.95: (8, 80.0)}),
        2: run(0.89, {0.9: (None, None), 0.95: (None, None)}), 3: run(0.92, {0.9: (4, 40.0), 0.95: (7, 70.0)}),
        4: run(0.93, {0.9: (6, 60.0), 0.95: (None, None)})}  # fmt: skip
# Three seeds: 0.9 by 2 of 3 (epochs 2, 7; seconds 25, 90), 0.95 by 1 of 3.
DROPOUT = {0: run(0.92, {0.9: (2, 25.0), 0.95: (9, 99.0)}), 1: run(0.90, {0.9: (7, 90.0), 0.95: (None, None)}),
           2: run(0.88, {0.9: (None, None), 0.95: (None, None)})}  # fmt: skip


def test_seeds_to_reach_is_three_of_five_rounded_up_for_any_seed_count():
    # By hand: 3 of 5 (AlgoPerf), 2 of 3, 6 of 10, and ceil(3.6) = 4 of 6, ceil(4.2) = 5 of 7.
    assert [seeds_to_reach(n) for n in (0, 1, 2, 3, 4, 5, 6, 7, 10)] == [0, 1, 2, 2, 3, 3, 4, 5, 6]
    assert all(seeds_to_reach(n) == math.ceil(Fraction(3 * n, 5)) for n in range(200))


def test_each_variant_gets_reached_counts_and_medians_over_the_seeds_that_reached():
    rows = {row["variant"]: row for row in summarize(spec("base", "dropout"), {"base": BASE, "dropout": DROPOUT})}
    base, dropout = rows["base"]["time_to_target"], rows["dropout"]["time_to_target"]
    assert base["objective"] == "val_accuracy" and base["mode"] == "max"
    assert base["targets"] == [
        # Medians of 30, 40, 50, 60 and of epochs 3, 4, 5, 6.
        {"target": 0.9, "seeds": 5, "reached": 4, "required": 3, "median_seconds": 45.0, "median_epochs": 4.5},
        # 2 of 5 is under 3: no medians, though two seeds reached it.
        {"target": 0.95, "seeds": 5, "reached": 2, "required": 3, "median_seconds": None, "median_epochs": None},
    ]
    assert dropout["targets"] == [
        # 2 of 3 meets ceil(1.8) = 2: the medians of two seeds, their means.
        {"target": 0.9, "seeds": 3, "reached": 2, "required": 2, "median_seconds": 57.5, "median_epochs": 4.5},
        {"target": 0.95, "seeds": 3, "reached": 1, "required": 2, "median_seconds": None, "median_epochs": None},
    ]


def test_the_table_goes_under_the_main_table_which_stays_as_it_was():
    runs = {"base": BASE, "dropout": DROPOUT}
    rows = summarize(spec("base", "dropout"), runs)
    # The same runs without targets: the table of runs made before targets existed.
    plain = {variant: {seed: {k: x for k, x in results.items() if k != "time_to_target"}
                       for seed, results in by_seed.items()} for variant, by_seed in runs.items()}  # fmt: skip
    before = summarize(spec("base", "dropout"), plain)
    assert all("time_to_target" not in row for row in before)
    old = markdown(before)
    assert "Time to target" not in old
    text = markdown(rows)
    assert text == old + "\n" + time_to_target_markdown(rows)
    assert text.endswith(
        "| variant | target | reached | median s | median epochs |\n"
        "|---|---|---|---|---|\n"
        "| base | 0.9 | 4 of 5 | 45.0 | 4.5 |\n"
        "| base | 0.95 | not reached (2 of 5) | - | - |\n"
        "| dropout | 0.9 | 2 of 3 | 57.5 | 4.5 |\n"
        "| dropout | 0.95 | not reached (1 of 3) | - | - |\n")  # fmt: skip
    assert "val_accuracy ≥ the target" in text and "(3 of 5, AlgoPerf's rule)" in text


def test_a_variant_whose_runs_recorded_no_targets_has_no_lines():
    rows = summarize(spec("base", "plain"), {"base": BASE, "plain": {0: run(0.9), 1: run(0.91)}})
    assert rows[1]["time_to_target"]["targets"] == []
    lines = time_to_target_markdown(rows).splitlines()
    assert [line.split(" | ")[0] for line in lines[4:]] == ["| base", "| base"]


def test_a_loss_objective_is_reached_from_above_and_says_so():
    loss = {"name": "val_loss", "mode": "min"}
    runs = {"base": {s: run(0.9, {0.35: (e, 10.0 * e)}, loss) for s, e in enumerate([4, 2, 3])}}
    rows = summarize(spec("base"), runs)
    assert rows[0]["time_to_target"]["targets"][0]["median_seconds"] == 30.0
    assert "val_loss ≤ the target" in time_to_target_markdown(rows)


def test_a_reaching_seed_without_its_time_counts_but_gives_no_seconds():
    # A run resumed from a checkpoint written before per-epoch times were kept: the epoch is known, the time not.
    runs = {s: run(0.9, {0.9: (e, t)}) for s, (e, t) in enumerate([(3, None), (4, 40.0), (5, 50.0)])}
    (cell,) = time_to_target_summary(runs, [0.9])
    assert cell["reached"] == 3 and cell["median_epochs"] == 4.0 and cell["median_seconds"] == pytest.approx(45.0)
