"""Performance profiles: how often each method is within a factor τ of the fastest, over many workloads.

Dolan & Moré, *Benchmarking optimization software with performance
profiles* (Mathematical Programming, 2002), as AlgoPerf scores training
algorithms by their time to target (Dahl et al., *Benchmarking Neural
Network Training Algorithms*, 2023). For method ``m`` on workload ``w``
with time ``t[m, w]``, the performance ratio is::

    r[m, w] = t[m, w] / min(t[m', w] for every method m')      # inf: m never reached it
    rho_m(tau) = (number of workloads w with r[m, w] <= tau) / (number of workloads)

So ``rho_m(1)`` is the share of workloads on which ``m`` was the fastest
(each of tied methods counts as fastest) and ``rho_m(inf)`` the share it
reached at all. Ratios are taken within one workload, so each workload's
times must come from one machine, while different workloads may have run
on different ones.

`profile_times` makes the times from comparisons' time-to-target
summaries (`kerasreg.comparison.table.time_to_target_summary`), one
workload per comparison; `performance_profile` computes the profiles.
"""

import math
import numbers

import numpy as np

from kerasreg.validation import invalid_argument


def _seconds(method, workload, value):
    """A time to target as a float: > 0, or inf for None / inf (never reached)."""
    if value is None:
        return math.inf
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not float(value) > 0:
        raise ValueError(
            "Invalid value received for argument `times`. Expected seconds > 0, None or inf for every method "
            f"and workload. Received: times[{method!r}][{workload!r}]={value!r}"
        )
    return float(value)


def _check_taus(taus):
    """``taus`` as a 1-D float64 array: a non-empty sequence of ratios >= 1 (``inf`` allowed)."""
    try:
        array = np.asarray(taus, dtype="float64")
    except (TypeError, ValueError):
        array = None
    if array is None or array.ndim != 1 or array.size == 0 or not np.all(array >= 1.0):  # NaN fails >= 1 too
        raise invalid_argument("taus", "a non-empty 1-D sequence of ratios >= 1 (inf allowed)", taus)
    return array


def performance_profile(times, taus):
    """Each method's performance profile ρ(τ): the share of workloads it reached within τ times the fastest.

    A workload no method reached says nothing about which is faster and is
    left out of every profile (it would lower all of them alike). A method
    without an entry for a workload another method has counts as never
    reaching it, as do ``None`` and ``inf``.

    Args:
        times: ``{method: {workload: seconds}}``, seconds > 0, or ``None``
            (or ``inf``) for a workload the method never reached.
        taus: Non-empty sequence of ratios τ >= 1; ``inf`` gives the share
            of workloads each method reached.

    Returns:
        ``{method: array}`` in the order of ``times``, each array of
        ``len(taus)`` shares in [0, 1], one per τ.

    Example:

    >>> times = {"none": {"cifar": 100.0, "svhn": 50.0, "mnist": None},
    ...          "dropout": {"cifar": 150.0, "svhn": 40.0, "mnist": None}}
    >>> profiles = performance_profile(times, [1.0, 1.25, 1.5, float("inf")])
    >>> {method: profile.tolist() for method, profile in profiles.items()}
    {'none': [0.5, 1.0, 1.0, 1.0], 'dropout': [0.5, 0.5, 1.0, 1.0]}
    """
    if not isinstance(times, dict) or not times or not all(isinstance(t, dict) for t in times.values()):
        raise invalid_argument("times", "a non-empty dict {method: {workload: seconds or None}}", times)
    taus = _check_taus(taus)
    workloads = list(dict.fromkeys(w for by_workload in times.values() for w in by_workload))
    table = np.empty((len(times), len(workloads)))
    for i, method in enumerate(times):
        table[i] = [_seconds(method, w, times[method].get(w)) for w in workloads]
    fastest = table.min(axis=0)
    reached = np.isfinite(fastest)
    if not reached.any():
        raise invalid_argument("times", "at least one workload that some method reached", times)
    # A tie divides to exactly 1.0 in floating point, so each tied method counts at τ = 1.
    ratios = table[:, reached] / fastest[reached]
    # Never reached is never within τ, not even τ = inf (where inf <= inf would count it).
    within = (ratios[:, :, None] <= taus[None, None, :]) & np.isfinite(ratios)[:, :, None]
    shares = within.mean(axis=1)
    return {method: shares[i] for i, method in enumerate(times)}


def _reach_seconds(row, target):
    """The row's median seconds to ``target`` when the reach rule counted it, else None; also whether it recorded it."""
    for cell in (row.get("time_to_target") or {}).get("targets") or []:
        if cell["target"] == target:
            counted = cell["reached"] >= cell["required"]
            return (cell["median_seconds"] if counted else None), True
    return None, False


def profile_times(summaries, target):
    """The ``times`` of `performance_profile` for one target, one workload per comparison.

    A variant's time on a comparison is the median seconds of its seeds
    that reached ``target`` (``row["time_to_target"]``, `summarize`). It
    counts as never reached (None) when fewer than `seeds_to_reach` of its
    seeds reached the target (AlgoPerf's 3 of 5), when no reaching seed
    recorded its seconds, or when the variant's row has no record of the
    target. Variants are matched across comparisons by their name, so the
    same method must have the same variant name in every comparison; one
    missing from a comparison counts as never reaching there.

    Args:
        summaries: ``{comparison name: rows}``, the rows of `summarize`
            of each comparison.
        target: The target, as the runs recorded it (compared with ``==``).

    Returns:
        ``{variant: {comparison name: seconds or None}}``, variants in the
        order first seen.

    Example:

    >>> def row(variant, reached, seconds):
    ...     cell = {"target": 0.9, "seeds": 5, "reached": reached, "required": 3,
    ...             "median_seconds": seconds if reached >= 3 else None}
    ...     return {"variant": variant, "time_to_target": {"targets": [cell]}}
    >>> summaries = {"cifar": [row("none", 5, 120.0), row("dropout", 2, 90.0)],
    ...              "svhn": [row("none", 3, 60.0), row("dropout", 4, 45.0)]}
    >>> profile_times(summaries, 0.9)
    {'none': {'cifar': 120.0, 'svhn': 60.0}, 'dropout': {'cifar': None, 'svhn': 45.0}}
    """
    if not isinstance(summaries, dict) or not summaries or not all(
            isinstance(rows, (list, tuple)) for rows in summaries.values()):
        raise invalid_argument("summaries", "a non-empty dict {comparison name: rows of summarize}", summaries)
    if isinstance(target, bool) or not isinstance(target, numbers.Real):
        raise invalid_argument("target", "a number", target)
    variants = list(dict.fromkeys(row["variant"] for rows in summaries.values() for row in rows))
    times = {variant: dict.fromkeys(summaries) for variant in variants}
    recorded = False
    for comparison, rows in summaries.items():
        for row in rows:
            seconds, found = _reach_seconds(row, target)
            times[row["variant"]][comparison] = seconds
            recorded = recorded or found
    if not recorded:
        # Most likely a target typed differently from the runs' (0.9 against 90): an empty profile would hide it.
        raise invalid_argument("target", "a target that some comparison's runs recorded", target)
    return times
