"""The comparison table: per variant, metrics over seeds with intervals, and the paired test against the baseline.

Beside the t-intervals and paired t-tests, the compared metric gets a
seeded bootstrap interval of its mean and of the paired difference, the
probability of improvement over paired seeds, Holm-adjusted p-values across
the comparison's variants, and the number of seeds the paired t-test would
need (`kerasreg.comparison.statistics`).
"""

import csv
import io
import math

import numpy as np

from kerasreg.comparison.cells import plus_minus as _plus_minus
from kerasreg.comparison.statistics import (bootstrap_interval, holm, mean_interval, paired_difference,
                                            probability_of_improvement, seeds_needed)
from kerasreg.engine.hardware import describe_machine
from kerasreg.reporting.gaps import gap_formula, generalization_gap, lower_is_better
from kerasreg.version import short_code_identity

# Bootstrap settings of every table. The seed makes a table reproducible: with
# a handful of seeds the resampled means take a few dozen values, so an end
# near a jump between them moves by up to ~0.1 points with the bootstrap seed.
RESAMPLES = 10_000
BOOTSTRAP_SEED = 0
POWER = 0.8
# Where the seed count stops looking (`seeds_needed`).
MAX_SEEDS = 1000
# What the rows' statistics are, for readers of comparison.json.
STATISTICS = {
    "mean, low, high": "the mean over seeds and its Student-t interval",
    "bootstrap": "BCa bootstrap interval of the mean (of the paired differences under difference), seeds resampled",
    "p_value": "two-sided paired t-test of the difference to the baseline",
    "p_holm": "p_value adjusted by Holm's step-down method across the comparison's variants",
    "p_improve": "share of seeds on which the variant beats the baseline (ties 1/2), percentile bootstrap interval",
    "seeds_needed": "seeds for the paired t-test to reach `power` at two-sided `alpha` (noncentral t) at the sd of "
                    "the paired differences, for the observed difference and for `target`; null: more than "
                    "`max_seeds`",
}


def metrics_of(metric="accuracy"):
    """The table's columns when runs are compared on ``metric`` (the experiment's objective, ``val_`` dropped).

    Each is ``(column, how to read it from a run's results.json, what it
    means)``; the first is the compared metric on the test set.
    """
    columns = [(f"test_{metric}", lambda r: r["test"][metric], f"test {metric}")]
    for name in dict.fromkeys((metric, "loss")):
        columns.append((f"gap_{name}", lambda r, name=name: generalization_gap(name, r["train"][name], r["validation"][name]),
                        f"{gap_formula(name)} {name}"))  # fmt: skip
    columns += [
        ("test_nll", lambda r: r["test"]["nll"], "test NLL"),
        ("test_brier", lambda r: r["test"]["brier"], "test Brier score"),
        ("test_ece", lambda r: r["test"]["ece"], "test ECE (15 bins)"),
        ("epochs", lambda r: r["epochs_run"], "epochs run"),
        ("wall_seconds", lambda r: r["wall_time_seconds"], "training seconds"),
    ]
    return tuple(columns)


# The columns of classification experiments compared on accuracy (the recipes).
METRICS = metrics_of("accuracy")


def _metric(results, read):
    try:
        value = float(read(results))
    except (KeyError, TypeError, ValueError):
        return math.nan
    return value


def summarize(spec, runs, confidence=0.95, metric="accuracy", *, resamples=RESAMPLES, seed=BOOTSTRAP_SEED,
              target_difference=None, power=POWER):
    """One row per variant (in the spec's order) from ``runs``: ``{variant: {seed: results}}``.

    Every metric gets its mean and t-interval over the variant's seeds. The
    compared metric (test ``metric``) also gets, under ``"bootstrap"``, the
    BCa bootstrap interval of its mean (`bootstrap_interval`), and under
    ``"difference"`` the paired comparison with the baseline over the seeds
    both have: the mean difference with its t-interval and paired t-test
    p-value, the sd of the per-seed differences, the BCa interval of the
    difference (``"bootstrap"``), the Holm-adjusted p-value across the
    comparison's variants (``"p_holm"``, `holm`), the probability of
    improvement over paired seeds (``"p_improve"``, larger is better but
    for a lower-is-better metric such as loss) and the seeds the paired
    t-test needs for ``power`` at level ``1 - confidence``
    (``"seeds_needed"``: at the observed difference, and at
    ``target_difference``, 0.005 (half a point) for accuracy by default).
    When runs recorded ``training.targets``, every row also gets
    ``"time_to_target"``: the objective's name and mode and, per target,
    `time_to_target_summary`; rows of runs without targets have no such key.

    Args:
        spec: The `ComparisonSpec`.
        runs: ``{variant: {seed: results}}``.
        confidence: Float in (0, 1), of every interval.
        metric: The compared metric.
        resamples: Integer >= 100, bootstrap resamples.
        seed: Integer >= 0, the bootstrap's seed (the same for every variant).
        target_difference: Float > 0 or None.
        power: Float in (0, 1).

    Returns:
        A list of dicts, one per variant.
    """
    if target_difference is None and metric == "accuracy":
        target_difference = 0.005
    baseline = runs.get(spec.baseline, {})
    columns = metrics_of(metric)
    sign = -1.0 if lower_is_better(metric) else 1.0
    rows = []
    for variant in spec.variants:
        by_seed = runs.get(variant.name, {})
        row = {"variant": variant.name, "values": variant.values, "seeds": sorted(by_seed),
               "baseline": variant.name == spec.baseline}  # fmt: skip
        for column, read, _ in columns:
            values = [v for v in (_metric(by_seed[s], read) for s in sorted(by_seed)) if math.isfinite(v)]
            interval = mean_interval(values, confidence) if values else None
            row[column] = None if interval is None else {
                "mean": interval.mean, "low": interval.low, "high": interval.high, "n": interval.n}  # fmt: skip
            if column == columns[0][0]:
                booted = bootstrap_interval(values, confidence, resamples, seed=seed) if values else None
                row["bootstrap"] = None if booted is None else {
                    "low": booted.low, "high": booted.high, "method": "BCa", "resamples": resamples, "seed": seed}  # fmt: skip
        params = [r.get("parameters") for r in by_seed.values() if r.get("parameters") is not None]
        row["parameters"] = params[0] if params else None
        shared = sorted(set(by_seed) & set(baseline))
        row["difference"] = None
        if shared and variant.name != spec.baseline:
            read = columns[0][1]
            a = np.array([_metric(by_seed[s], read) for s in shared])
            b = np.array([_metric(baseline[s], read) for s in shared])
            result = paired_difference(a, b, confidence)
            booted = bootstrap_interval(a - b, confidence, resamples, seed=seed)
            improve = probability_of_improvement(sign * a, sign * b, True, confidence, resamples, seed)
            sd = float(np.std(a - b, ddof=1)) if len(shared) > 1 else math.nan
            row["difference"] = {"mean": result.difference.mean, "low": result.difference.low,
                                 "high": result.difference.high, "n": len(shared), "p_value": result.p_value,
                                 "sd": sd, "bootstrap": {"low": booted.low, "high": booted.high},
                                 "p_holm": math.nan,
                                 "p_improve": {"mean": improve.mean, "low": improve.low, "high": improve.high},
                                 "seeds_needed": _seeds_needed(result.difference.mean, sd, round(1 - confidence, 12),
                                                               power, target_difference)}  # fmt: skip
        rows.append(row)
    # The family: every variant's paired t-test against the one baseline.
    tested = [row["difference"] for row in rows if row["difference"] is not None]
    for difference, adjusted in zip(tested, holm([d["p_value"] for d in tested]) if tested else []):
        difference["p_holm"] = float(adjusted)
    targets = _targets(runs)
    if targets:  # rows of runs without targets keep exactly their former keys
        objective = _objective(runs)
        for row in rows:
            row["time_to_target"] = {
                "objective": objective and objective[0], "mode": objective and objective[1],
                "targets": time_to_target_summary(runs.get(row["variant"], {}), targets)}  # fmt: skip
    return rows


def seeds_to_reach(n):
    """How many of a variant's ``n`` seeds must reach a target for its median time to count: ⌈3n/5⌉.

    AlgoPerf's rule (Dahl et al., *Benchmarking Neural Network Training
    Algorithms*, 2023): a target counts as reached when at least 3 of the
    5 trials reach it. The same share of 60 %, rounded up, for any number
    of seeds: 2 of 3, 3 of 5, 6 of 10, every seed of 1 or 2.

    Args:
        n: Integer >= 0, the seeds.

    Returns:
        The integer ⌈3n/5⌉.

    Example:

    >>> [seeds_to_reach(n) for n in (1, 2, 3, 4, 5, 10)]
    [1, 2, 2, 3, 3, 6]
    """
    return (3 * n + 4) // 5  # integer ceiling: 0.6 * n is inexact in floating point


def time_to_target_summary(by_seed, targets):
    """Per target, how many of a variant's seeds reached it and, when enough did, how fast.

    Each run's ``results["time_to_target"]`` (`kerasreg.engine.training.time_to_target`)
    says at which epoch and training second its objective first reached
    each target. A seed counts for a target when its run recorded that
    target; medians are over the seeds that reached it, and only when at
    least `seeds_to_reach` of the counted ones did.

    Args:
        by_seed: ``{seed: results}`` of one variant.
        targets: The targets to summarize, in order.

    Returns:
        A list of dicts ``{"target", "seeds", "reached", "required",
        "median_seconds", "median_epochs"}``, one per target some seed
        recorded; the medians are None below ``required`` (and
        ``median_seconds`` where no reaching run recorded its time).

    Example:

    >>> runs = {s: {"time_to_target": [{"target": 0.9, "epoch": e, "seconds": e and 2.0 * e}]}
    ...         for s, e in enumerate([3, 5, None, 4])}
    >>> time_to_target_summary(runs, [0.9])
    [{'target': 0.9, 'seeds': 4, 'reached': 3, 'required': 3, 'median_seconds': 8.0, 'median_epochs': 4.0}]
    """
    summary = []
    for target in targets:
        records = [record for seed in sorted(by_seed) for record in by_seed[seed].get("time_to_target") or []
                   if record["target"] == target]  # fmt: skip
        if not records:
            continue
        reached = [record for record in records if record["epoch"] is not None]
        required = seeds_to_reach(len(records))
        counted = len(reached) >= required
        seconds = [record["seconds"] for record in reached if record["seconds"] is not None]
        epochs = [record["epoch"] for record in reached]
        summary.append({"target": target, "seeds": len(records), "reached": len(reached), "required": required,
                        "median_seconds": float(np.median(seconds)) if counted and seconds else None,
                        "median_epochs": float(np.median(epochs)) if counted else None})  # fmt: skip
    return summary


def _targets(runs):
    """The targets the runs recorded, in the order first seen (variant by variant, seed by seed)."""
    seen = {}
    for by_seed in runs.values():
        for seed in sorted(by_seed):
            for record in by_seed[seed].get("time_to_target") or []:
                seen.setdefault(record["target"], None)
    return list(seen)


def _objective(runs):
    """``(name, mode)`` of the runs' objective, as their results.json recorded it, or None."""
    for by_seed in runs.values():
        for results in by_seed.values():
            objective = results.get("objective")
            if objective:
                return objective["name"], objective["mode"]
    return None


def _seeds_needed(observed, sd, alpha, power, target):
    """The seeds the paired t-test needs at the observed difference and at ``target`` (None without a spread)."""
    if not sd > 0:  # one pair, or a difference identical on every seed: no spread to plan with
        return None
    needed = {"alpha": alpha, "power": power, "max_seeds": MAX_SEEDS,
              "observed": seeds_needed(observed, sd, alpha, power, MAX_SEEDS)}
    if target is not None:
        needed.update(target=target, at_target=seeds_needed(target, sd, alpha, power, MAX_SEEDS))
    return needed


def _mean(row, column, digits=4):
    cell = row[column]
    return "-" if cell is None else f"{cell['mean']:.{digits}f}"


def _difference(row, scale=100.0, digits=2):
    cell = row["difference"]
    if row["baseline"]:
        return "baseline", ""
    if cell is None:
        return "-", "-"
    points = f"{cell['mean'] * scale:+.{digits}f}"
    if not math.isnan(cell["low"]):
        points += f" [{cell['low'] * scale:+.{digits}f}, {cell['high'] * scale:+.{digits}f}]"
    p = "-" if math.isnan(cell["p_value"]) else f"{cell['p_value']:.3g}"
    return points, p


def machine_groups(runs):
    """Which runs ran on which machine, from their ``results.json`` (``runs``: ``{variant: {seed: results}}``).

    A list of ``{"machine": one-line description, or None where the run did
    not record it (runs made before machines were recorded), "runs":
    [[variant, seed], ...]}`` (seed-major, as the runs go), most runs first.
    """
    def machine_of(results):
        record = results.get("machine")
        return describe_machine(record) if record else None

    return [{"machine": name, "runs": members} for name, members in _grouped(runs, machine_of)]


def _grouped(runs, key_of):
    """``[(key, [[variant, seed], ...]), ...]``: the runs grouped by ``key_of(results)`` (None sorting
    last among equals), seed-major within a group, the largest group first."""
    groups = {}
    for variant, seed in sorted(((v, s) for v, by_seed in runs.items() for s in by_seed), key=lambda r: (r[1], r[0])):
        groups.setdefault(key_of(runs[variant][seed]), []).append([variant, seed])
    return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0] or ""))


def code_groups(runs):
    """Which runs the code of which kerasreg made, from their ``results.json``.

    A list of ``{"code": `short_code_identity` (``"not recorded"`` for runs
    made before results recorded it), "source_sha256": the full hash or
    None, "runs": [[variant, seed], ...]}``, most runs first. A table whose
    runs span several code versions mixes numbers from different code.
    """
    identities = {}

    def source_of(results):
        identity = results.get("versions", {}).get("kerasreg_code")
        key = identity["source_sha256"] if identity else None
        identities.setdefault(key, identity)
        return key

    return [{"code": short_code_identity(identities[key]), "source_sha256": key, "runs": members}
            for key, members in _grouped(runs, source_of)]  # fmt: skip


def code_markdown(groups, runs):
    """One line saying which code the table's runs come from, or a list when they span versions."""
    if not groups:
        return ""
    if len(groups) == 1 and groups[0]["source_sha256"] is None:
        return "Code: not recorded (the runs predate results recording the code's identity).\n"
    if len(groups) == 1:
        return f"Code: kerasreg {groups[0]['code']} (every run).\n"
    lines = [f"Mixed code: the runs span {len(groups)} kerasreg versions:"]
    lines += [f"- {group['code']}: {_runs_text(group['runs'], runs)}" for group in groups]
    return "\n".join(lines) + "\n"


def _runs_text(members, runs):
    """"seeds 0, 1 (12 runs)" when the group holds every run of those seeds, else the runs one by one."""
    seeds = sorted({seed for _, seed in members})
    every = sum(1 for by_seed in runs.values() for seed in by_seed if seed in seeds)
    if every == len(members):
        label = "seed" if len(seeds) == 1 else "seeds"
        return f"{label} {', '.join(map(str, seeds))} ({len(members)} run{'s' * (len(members) != 1)})"
    return ", ".join(f"{variant} seed {seed}" for variant, seed in members)


def machines_markdown(groups, runs):
    """What the table's times and pairs rest on: the machine(s) its runs ran on, as Markdown lines.

    Wall times compare only within one machine, and a seed whose variants
    ran on different machines pairs runs across them (bfloat16 kernels, and
    so results, differ between CPUs), so both are said.
    """
    if not groups:
        return ""
    if len(groups) == 1:
        return f"All runs on one machine: {groups[0]['machine'] or 'not recorded'}.\n"
    lines = [f"The runs span {len(groups)} machines, so `time s` mixes them (each run's own time is in its "
             "results.json); the paired test compares runs of one seed:"]  # fmt: skip
    for group in groups:
        lines.append(f"- {group['machine'] or 'machine not recorded'}: {_runs_text(group['runs'], runs)}")
    where = {}
    for group in groups:
        for _, seed in group["runs"]:
            where.setdefault(seed, set()).add(group["machine"])
    split = [seed for seed, machines in sorted(where.items()) if len(machines) > 1]
    if split:
        lines.append(f"- seed{'s' * (len(split) > 1)} {', '.join(map(str, split))}: runs not all on one recorded "
                     "machine, so its paired differences may include a machine's difference")  # fmt: skip
    return "\n".join(lines) + "\n"


def _bootstrap(cell, scale, digits, signed=False):
    if cell is None or math.isnan(cell["low"]):
        return "-"
    form = f"{'+' if signed else ''}.{digits}f"
    return f"[{cell['low'] * scale:{form}}, {cell['high'] * scale:{form}}]"


def _tests(row, scale, digits):
    """The Δ boot, p Holm and P(improve) cells of ``row``."""
    cell = row["difference"]
    if row["baseline"]:
        return "", "", ""
    if cell is None:
        return "-", "-", "-"
    improve = cell["p_improve"]
    chance = f"{improve['mean']:.2f}" + ("" if math.isnan(improve["low"]) else
                                        f" [{improve['low']:.2f}, {improve['high']:.2f}]")  # fmt: skip
    holm_p = "-" if math.isnan(cell["p_holm"]) else f"{cell['p_holm']:.3g}"
    return _bootstrap(cell["bootstrap"], scale, digits, signed=True), holm_p, chance


def _legend(rows, confidence, percent):
    """What the bootstrap, Holm and P(improve) columns are, and the seeds the paired t-test needs."""
    booted = next((row["bootstrap"] for row in rows if row["bootstrap"] and not math.isnan(row["bootstrap"]["low"])),
                  None)  # fmt: skip
    compared = [row["difference"] for row in rows if row["difference"] is not None]
    tested = sum(not math.isnan(cell["p_value"]) for cell in compared)
    sentences = []
    if booted:
        sentences.append(f"boot: BCa bootstrap {confidence:.0%} intervals over seeds ({booted['resamples']:,} "
                         f"resamples, seed {booted['seed']}).")  # fmt: skip
    if tested:
        sentences.append(f"p Holm: the paired t-tests' p-values adjusted by Holm's step-down method for the {tested} "
                         f"test{'s' * (tested != 1)} against the baseline.")  # fmt: skip
    if compared:
        sentences.append("P(improve): the share of seeds on which the variant beats the baseline (ties count 1/2), "
                         "with its percentile bootstrap interval.")  # fmt: skip
    lines = [" ".join(sentences)] if sentences else []
    planned = [row for row in rows if row["difference"] and row["difference"]["seeds_needed"]]
    if planned:
        needed = planned[0]["difference"]["seeds_needed"]
        lines += ["", f"Seeds for {needed['power']:.0%} power (paired t-test, two-sided α = {needed['alpha']:.2g}) at "
                      "each variant's sd of the paired differences:"]  # fmt: skip
        scale, digits, unit = (100.0, 2, " pts") if percent else (1.0, 4, "")
        for row in planned:
            cell = row["difference"]
            needed = cell["seeds_needed"]
            line = (f"- {row['variant']}: sd {cell['sd'] * scale:.{digits}f}{unit}; "
                    f"{_count(needed, 'observed')} seeds for its {cell['mean'] * scale:+.{digits}f}{unit}")  # fmt: skip
            if needed.get("target") is not None:
                line += f", {_count(needed, 'at_target')} for {needed['target'] * scale:.{digits}f}{unit}"
            lines.append(line)
    return "\n".join(lines) + "\n" if lines else ""


def _count(needed, key):
    return f"> {needed['max_seeds']}" if needed[key] is None else str(needed[key])


def time_to_target_markdown(rows):
    """The time-to-target table of ``rows`` (`summarize`) as Markdown, or "" when no run recorded targets.

    One line per variant and target: ``k of n`` seeds reached it, and the
    median training seconds and epochs of those that did; ``not reached
    (k of n)`` with fewer than `seeds_to_reach` of them.

    Example:

    >>> rows = [{"variant": "none", "time_to_target": {"objective": "val_accuracy", "mode": "max", "targets": [
    ...     {"target": 0.9, "seeds": 5, "reached": 3, "required": 3, "median_seconds": 41.5, "median_epochs": 7.0},
    ...     {"target": 0.95, "seeds": 5, "reached": 2, "required": 3, "median_seconds": None,
    ...      "median_epochs": None}]}}]
    >>> print(time_to_target_markdown(rows), end="")  # doctest: +NORMALIZE_WHITESPACE
    Time to target: the first epoch at which val_accuracy ≥ the target, and the training seconds at its end;
    medians over the seeds that reached it, given when at least ⌈0.6·n⌉ of a variant's n seeds did
    (3 of 5, AlgoPerf's rule).
    <BLANKLINE>
    | variant | target | reached | median s | median epochs |
    |---|---|---|---|---|
    | none | 0.9 | 3 of 5 | 41.5 | 7 |
    | none | 0.95 | not reached (2 of 5) | - | - |
    """
    summaries = [row for row in rows if row.get("time_to_target")]
    if not summaries:
        return ""
    first = summaries[0]["time_to_target"]
    objective = first["objective"] or "the objective"
    relation = "≤" if first["mode"] == "min" else "≥"
    lines = [f"Time to target: the first epoch at which {objective} {relation} the target, and the training seconds "
             "at its end; medians over the seeds that reached it, given when at least ⌈0.6·n⌉ of a variant's n seeds "
             "did (3 of 5, AlgoPerf's rule).",
             "",
             "| variant | target | reached | median s | median epochs |",
             "|---|---|---|---|---|"]  # fmt: skip
    for row in summaries:
        for cell in row["time_to_target"]["targets"]:
            count = f"{cell['reached']} of {cell['seeds']}"
            if cell["reached"] < cell["required"]:
                lines.append(f"| {row['variant']} | {cell['target']:g} | not reached ({count}) | - | - |")
                continue
            seconds = "-" if cell["median_seconds"] is None else f"{cell['median_seconds']:.1f}"
            lines.append(f"| {row['variant']} | {cell['target']:g} | {count} | {seconds} | "
                         f"{cell['median_epochs']:g} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def markdown(rows, confidence=0.95, metric="accuracy"):
    """The table as Markdown (accuracy in %, differences in percentage points; other metrics as they are).

    Under it, what its bootstrap, Holm and P(improve) columns are, per
    variant the seeds the paired t-test needs (`summarize`), and, when the
    runs recorded ``training.targets``, their time to target
    (`time_to_target_markdown`).
    """
    level = f"{confidence:.0%}"
    percent = metric == "accuracy"
    short = "acc" if percent else metric
    header = ["variant", "seeds", f"test {short}{' %' if percent else ''} (± {level} CI)", f"boot {level} CI",
              f"Δ vs baseline{', pts' if percent else ''} [{level} CI]", f"Δ boot {level} CI", "p (paired t)",
              "p Holm", f"P(improve) [{level} CI]"]  # fmt: skip
    if metric != "loss":
        header.append(f"gap {short}")
    header += ["gap loss", "NLL", "Brier", "ECE", "epochs", "time s", "params"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    scale, digits = (100.0, 2) if percent else (1.0, 4)
    for row in rows:
        difference, p = _difference(row, scale, digits)
        booted, holm_p, chance = _tests(row, scale, digits)
        cells = [row["variant"], str(len(row["seeds"])),
                 _plus_minus(row[f"test_{metric}"], digits, scale), _bootstrap(row["bootstrap"], scale, digits),
                 difference, booted, p, holm_p, chance]  # fmt: skip
        if metric != "loss":
            cells.append(_mean(row, f"gap_{metric}"))
        cells += [_mean(row, "gap_loss"), _mean(row, "test_nll"), _mean(row, "test_brier"), _mean(row, "test_ece"),
                  _mean(row, "epochs", 0), _mean(row, "wall_seconds", 0),
                  f"{row['parameters']:,}" if row["parameters"] is not None else "-"]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    legend = _legend(rows, confidence, percent)
    targets = time_to_target_markdown(rows)
    return "\n".join(lines) + "\n" + (f"\n{legend}" if legend else "") + (f"\n{targets}" if targets else "")


def csv_text(rows, metric="accuracy"):
    """The table as CSV: one row per variant, means and interval bounds as plain numbers.

    ``seeds_needed``/``seeds_needed_at_target`` are empty without a spread
    to plan with and ``>1000`` beyond the search's end.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = [c for c, _, _ in metrics_of(metric)]
    header = ["variant", "seeds"]
    for column in columns:
        header += [f"{column}_mean", f"{column}_ci_low", f"{column}_ci_high"]
        if column == columns[0]:
            header += [f"{column}_boot_low", f"{column}_boot_high"]
    header += ["difference_mean", "difference_ci_low", "difference_ci_high", "difference_boot_low",
               "difference_boot_high", "difference_sd", "p_value", "p_holm", "p_improve", "p_improve_ci_low",
               "p_improve_ci_high", "seeds_needed", "target_difference", "seeds_needed_at_target", "parameters"]  # fmt: skip
    writer.writerow(header)
    for row in rows:
        line = [row["variant"], len(row["seeds"])]
        for column in columns:
            cell = row[column] or {}
            line += [cell.get("mean", ""), cell.get("low", ""), cell.get("high", "")]
            if column == columns[0]:
                booted = row["bootstrap"] or {}
                line += [booted.get("low", ""), booted.get("high", "")]
        difference = row["difference"] or {}
        booted = difference.get("bootstrap", {})
        improve = difference.get("p_improve", {})
        needed = difference.get("seeds_needed") or {}
        line += [difference.get("mean", ""), difference.get("low", ""), difference.get("high", ""),
                 booted.get("low", ""), booted.get("high", ""), difference.get("sd", ""),
                 difference.get("p_value", ""), difference.get("p_holm", ""), improve.get("mean", ""),
                 improve.get("low", ""), improve.get("high", ""), _csv_count(needed, "observed"),
                 needed.get("target", ""), _csv_count(needed, "at_target"),
                 row["parameters"] if row["parameters"] is not None else ""]  # fmt: skip
        writer.writerow(line)
    return buffer.getvalue()


def _csv_count(needed, key):
    if key not in needed:
        return ""
    return f">{needed['max_seeds']}" if needed[key] is None else needed[key]
