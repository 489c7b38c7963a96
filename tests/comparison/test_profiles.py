"""Performance profiles over comparisons: ρ(τ) per method by hand, the time-to-target rows it reads, its chart."""

import math
import os
import re

import numpy as np
import pytest

from kerasreg.comparison import ComparisonSpec, Variant, performance_profile, profile_times, summarize
from kerasreg.plotting import plot_performance_profile

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TAUS = [1.0, 1.5, 2.0, 3.0, 4.0, math.inf]
# Fastest per workload: w1 a = b = 10 (a tie), w2 b = 20, w3 c = 8 (b never reached it), w4 b = 25.
TIMES = {
    "a": {"w1": 10.0, "w2": 30.0, "w3": 12.0, "w4": 50.0},  # ratios 1, 1.5, 1.5, 2
    "b": {"w1": 10.0, "w2": 20.0, "w3": None, "w4": 25.0},  # ratios 1, 1, inf, 1
    "c": {"w1": 20.0, "w2": 40.0, "w3": 8.0, "w4": 100.0},  # ratios 2, 2, 1, 4
}
# Shares of the 4 workloads with ratio <= τ, for τ = 1, 1.5, 2, 3, 4, inf.
EXPECTED = {
    "a": [0.25, 0.75, 1.0, 1.0, 1.0, 1.0],
    "b": [0.75, 0.75, 0.75, 0.75, 0.75, 0.75],
    "c": [0.25, 0.25, 0.75, 0.75, 1.0, 1.0],
}


def as_lists(profiles):
    return {method: profile.tolist() for method, profile in profiles.items()}


def test_profiles_match_the_hand_computed_shares():
    profiles = performance_profile(TIMES, TAUS)
    assert list(profiles) == ["a", "b", "c"]
    assert all(isinstance(p, np.ndarray) and p.shape == (6,) for p in profiles.values())
    assert as_lists(profiles) == EXPECTED


def test_at_one_the_share_of_wins_counts_ties_for_each_and_at_infinity_the_share_reached():
    profiles = performance_profile(TIMES, [1.0, math.inf])
    # w1 is a tie of a and b: 1 + 3 + 1 wins over 4 workloads, more than one workload's worth in total.
    assert [profiles[m][0] for m in "abc"] == [0.25, 0.75, 0.25]
    assert sum(profiles[m][0] for m in "abc") == 1.25
    # b never reached w3.
    assert [profiles[m][1] for m in "abc"] == [1.0, 0.75, 1.0]


def test_a_ratio_exactly_tau_counts_and_taus_keep_their_order():
    # a's ratios on w2 and w3 are exactly 1.5: counted at 1.5, not just below.
    profiles = performance_profile(TIMES, [math.inf, 1.5, np.nextafter(1.5, 0.0), 1.0])
    assert profiles["a"].tolist() == [1.0, 0.75, 0.25, 0.25]


def test_a_workload_no_method_reached_is_dropped_and_a_missing_entry_is_never_reached():
    times = {method: dict(by_workload, w5=None) for method, by_workload in TIMES.items()}
    times["c"]["w5"] = math.inf
    # Kept, w5 would make every ρ(∞) at most 4/5; dropped, the profiles are those of the 4 workloads.
    assert as_lists(performance_profile(times, TAUS)) == EXPECTED
    without = {method: dict(by_workload) for method, by_workload in TIMES.items()}
    del without["b"]["w3"]  # as if b had None there
    assert as_lists(performance_profile(without, TAUS)) == EXPECTED


def test_one_method_alone_is_the_fastest_wherever_it_arrived():
    profiles = performance_profile({"only": {"x": 3.0, "y": None, "z": 7.0}}, [1.0, 100.0])
    # y is dropped: nobody reached it.
    assert profiles["only"].tolist() == [1.0, 1.0]


def test_no_workload_reached_by_anyone_is_an_error():
    with pytest.raises(ValueError, match=r"Expected at least one workload that some method reached"):
        performance_profile({"a": {"w": None}, "b": {"w": math.inf}}, [1.0])
    with pytest.raises(ValueError, match=r"Expected at least one workload that some method reached"):
        performance_profile({"a": {}}, [1.0])


@pytest.mark.parametrize("times", [None, {}, [("a", {"w": 1.0})], {"a": [1.0]}])
def test_times_that_are_not_a_dict_of_dicts_are_refused(times):
    expected = ("Invalid value received for argument `times`. Expected a non-empty dict {method: {workload: "
                "seconds or None}}. Received: times=" + repr(times))  # fmt: skip
    with pytest.raises(ValueError, match=re.escape(expected)):
        performance_profile(times, [1.0])


@pytest.mark.parametrize("seconds", [0.0, -1.0, math.nan, "10", True])
def test_seconds_must_be_positive_none_or_inf(seconds):
    expected = ("Invalid value received for argument `times`. Expected seconds > 0, None or inf for every "
                f"method and workload. Received: times['b']['w2']={seconds!r}")  # fmt: skip
    with pytest.raises(ValueError, match=re.escape(expected)):
        performance_profile({"a": {"w1": 1.0, "w2": 2.0}, "b": {"w1": 3.0, "w2": seconds}}, [1.0])


@pytest.mark.parametrize("taus", [[], [0.5, 1.0], [1.0, math.nan], [[1.0, 2.0]], ["a"], None, 2.0])
def test_taus_must_be_ratios_from_one(taus):
    expected = ("Invalid value received for argument `taus`. Expected a non-empty 1-D sequence of ratios >= 1 "
                f"(inf allowed). Received: taus={taus!r}")  # fmt: skip
    with pytest.raises(ValueError, match=re.escape(expected)):
        performance_profile(TIMES, taus)


def row(variant, *cells):
    """A row of `summarize` as far as profiles read it; cells ``(target, reached, seeds, median_seconds)``."""
    targets = [{"target": t, "seeds": n, "reached": k, "required": (3 * n + 4) // 5,
                "median_seconds": s, "median_epochs": None if s is None else 1.0} for t, k, n, s in cells]  # fmt: skip
    return {"variant": variant, "time_to_target": {"objective": "val_accuracy", "mode": "max", "targets": targets}}


def test_profile_times_takes_each_comparisons_median_when_the_reach_rule_holds():
    summaries = {
        # 3 of 5 reached 0.9 (required 3): counted; at 0.8 it is another cell, not read for 0.9.
        "cifar": [row("none", (0.8, 5, 5, 10.0), (0.9, 3, 5, 40.0)), row("dropout", (0.9, 5, 5, 30.0))],
        # 2 of 5 is under 3: never reached, even though the (inconsistent) cell carries a median.
        "svhn": [row("none", (0.9, 4, 5, 20.0)), row("dropout", (0.9, 2, 5, 10.0))],
        # Enough seeds but none recorded its seconds; cutout only runs here; mixup recorded no target.
        "mnist": [row("none", (0.9, 2, 3, None)), row("dropout", (0.9, 3, 3, 5.0)), row("cutout", (0.9, 1, 1, 2.0)),
                  {"variant": "mixup"}],
    }  # fmt: skip
    times = profile_times(summaries, 0.9)
    assert times == {
        "none": {"cifar": 40.0, "svhn": 20.0, "mnist": None},
        "dropout": {"cifar": 30.0, "svhn": None, "mnist": 5.0},
        # Matched by name: absent from cifar and svhn, so never reached there.
        "cutout": {"cifar": None, "svhn": None, "mnist": 2.0},
        "mixup": {"cifar": None, "svhn": None, "mnist": None},
    }
    profiles = performance_profile(times, [1.0, 1.5, 3.0, math.inf])
    # Ratios: none 40/30, 1, inf; dropout 1, inf, 5/2; cutout inf, inf, 1; mixup inf everywhere.
    assert as_lists(profiles) == {"none": [1 / 3, 2 / 3, 2 / 3, 2 / 3], "dropout": [1 / 3, 1 / 3, 2 / 3, 2 / 3],
                                  "cutout": [1 / 3, 1 / 3, 1 / 3, 1 / 3], "mixup": [0.0, 0.0, 0.0, 0.0]}  # fmt: skip


def run(records):
    """A finished run's results.json as `summarize` reads it; ``records``: ``{target: (epoch, seconds)}``."""
    return {"test": {"accuracy": 0.9, "loss": 0.1}, "objective": {"name": "val_accuracy", "mode": "max"},
            "time_to_target": [{"target": t, "epoch": e, "seconds": s} for t, (e, s) in records.items()]}  # fmt: skip


def test_profile_times_reads_the_rows_of_summarize():
    spec = ComparisonSpec("t", 3, [Variant("none", {}), Variant("dropout", {})], "none", {})
    never = (None, None)
    # none: 2 of 3 seeds reach 0.9 (required 2) in 30 and 50 s, median 40; dropout: 1 of 3, not counted.
    runs = {"none": {0: run({0.9: (3, 30.0)}), 1: run({0.9: never}), 2: run({0.9: (5, 50.0)})},
            "dropout": {0: run({0.9: (2, 20.0)}), 1: run({0.9: never}), 2: run({0.9: never})}}  # fmt: skip
    rows = summarize(spec, runs, resamples=100)
    assert profile_times({"cifar": rows}, 0.9) == {"none": {"cifar": 40.0}, "dropout": {"cifar": None}}


def test_profile_times_refuses_a_target_no_comparison_recorded_and_bad_summaries():
    summaries = {"cifar": [row("none", (0.9, 3, 3, 1.0))]}
    expected = ("Invalid value received for argument `target`. Expected a target that some comparison's runs "
                "recorded. Received: target=90")  # fmt: skip
    with pytest.raises(ValueError, match=re.escape(expected)):
        profile_times(summaries, 90)
    with pytest.raises(ValueError, match=re.escape("Expected a number. Received: target='0.9'")):
        profile_times(summaries, "0.9")
    for bad in ({}, [summaries["cifar"]], {"cifar": {"none": 1.0}}):
        with pytest.raises(ValueError, match=r"Invalid value received for argument `summaries`"):
            profile_times(bad, 0.9)


def test_the_chart_is_a_png(tmp_path):
    profiles = performance_profile(TIMES, TAUS)
    path = plot_performance_profile(profiles, TAUS, tmp_path / "profile.png", title="time to 0.9")
    assert path == str(tmp_path / "profile.png")
    data = (tmp_path / "profile.png").read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 0
    assert os.listdir(tmp_path) == ["profile.png"]  # written atomically: no temporary file left


def test_the_chart_refuses_a_path_that_is_not_a_png(tmp_path):
    path = str(tmp_path / "profile.jpg")
    expected = f"Invalid value received for argument `path`. Expected a file path ending in '.png'. Received: path={path!r}"
    with pytest.raises(ValueError, match=re.escape(expected)):
        plot_performance_profile(performance_profile(TIMES, TAUS), TAUS, path)
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("profiles,taus,argument", [
    ({}, [1.0], "profiles"),
    ({"a": [0.5, 1.0]}, [1.0], "profiles"),  # one share per τ
    ({"a": [1.5]}, [1.0], "profiles"),  # shares are in [0, 1]
    ({"a": [1.0]}, [math.inf], "taus"),  # nothing finite to draw
    ({"a": [1.0]}, [0.5], "taus"),
])  # fmt: skip
def test_the_chart_refuses_bad_profiles_and_taus(tmp_path, profiles, taus, argument):
    with pytest.raises(ValueError, match=re.escape(f"Invalid value received for argument `{argument}`")):
        plot_performance_profile(profiles, taus, tmp_path / "profile.png")
    with pytest.raises(ValueError, match=re.escape("Expected None or a string. Received: title=3")):
        plot_performance_profile({"a": [1.0]}, [1.0], tmp_path / "profile.png", title=3)
