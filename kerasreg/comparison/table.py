"""The comparison table: per variant, metrics over seeds with intervals, and the paired test against the baseline."""

import csv
import io
import math

from kerasreg.comparison.statistics import mean_interval, paired_difference
from kerasreg.engine.hardware import describe_machine
from kerasreg.reporting.gaps import gap_formula, generalization_gap
from kerasreg.version import short_code_identity



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


def summarize(spec, runs, confidence=0.95, metric="accuracy"):
    """One row per variant (in the spec's order) from ``runs``: ``{variant: {seed: results}}``.

    Every metric gets its mean and t-interval over the variant's seeds; the
    test accuracy also gets the paired difference to the baseline over the
    seeds both have, with its interval and the paired t-test's p-value.
    """
    baseline = runs.get(spec.baseline, {})
    columns = metrics_of(metric)
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
        params = [r.get("parameters") for r in by_seed.values() if r.get("parameters") is not None]
        row["parameters"] = params[0] if params else None
        shared = sorted(set(by_seed) & set(baseline))
        row["difference"] = None
        if shared and variant.name != spec.baseline:
            read = columns[0][1]
            result = paired_difference([_metric(by_seed[s], read) for s in shared],
                                       [_metric(baseline[s], read) for s in shared], confidence)  # fmt: skip
            row["difference"] = {"mean": result.difference.mean, "low": result.difference.low,
                                 "high": result.difference.high, "n": len(shared), "p_value": result.p_value}  # fmt: skip
        rows.append(row)
    return rows


def _mean(row, column, digits=4):
    cell = row[column]
    return "-" if cell is None else f"{cell['mean']:.{digits}f}"


def _plus_minus(cell, digits=4, scale=1.0):
    if cell is None:
        return "-"
    mean = cell["mean"] * scale
    if math.isnan(cell["low"]):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {(cell['high'] - cell['low']) / 2 * scale:.{digits}f}"


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


def markdown(rows, confidence=0.95, metric="accuracy"):
    """The table as Markdown (accuracy in %, differences in percentage points; other metrics as they are)."""
    level = f"{confidence:.0%}"
    percent = metric == "accuracy"
    short = "acc" if percent else metric
    header = ["variant", "seeds", f"test {short}{' %' if percent else ''} (± {level} CI)",
              f"Δ vs baseline{', pts' if percent else ''} [{level} CI]", "p (paired t)"]  # fmt: skip
    if metric != "loss":
        header.append(f"gap {short}")
    header += ["gap loss", "NLL", "Brier", "ECE", "epochs", "time s", "params"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        difference, p = _difference(row, 100.0 if percent else 1.0, 2 if percent else 4)
        cells = [row["variant"], str(len(row["seeds"])),
                 _plus_minus(row[f"test_{metric}"], 2 if percent else 4, 100 if percent else 1), difference, p]  # fmt: skip
        if metric != "loss":
            cells.append(_mean(row, f"gap_{metric}"))
        cells += [_mean(row, "gap_loss"), _mean(row, "test_nll"), _mean(row, "test_brier"), _mean(row, "test_ece"),
                  _mean(row, "epochs", 0), _mean(row, "wall_seconds", 0),
                  f"{row['parameters']:,}" if row["parameters"] is not None else "-"]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def csv_text(rows, metric="accuracy"):
    """The table as CSV: one row per variant, means and interval bounds as plain numbers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = [c for c, _, _ in metrics_of(metric)]
    header = ["variant", "seeds"]
    for column in columns:
        header += [f"{column}_mean", f"{column}_ci_low", f"{column}_ci_high"]
    header += ["difference_mean", "difference_ci_low", "difference_ci_high", "p_value", "parameters"]
    writer.writerow(header)
    for row in rows:
        line = [row["variant"], len(row["seeds"])]
        for column in columns:
            cell = row[column] or {}
            line += [cell.get("mean", ""), cell.get("low", ""), cell.get("high", "")]
        difference = row["difference"] or {}
        line += [difference.get("mean", ""), difference.get("low", ""), difference.get("high", ""),
                 difference.get("p_value", ""), row["parameters"] if row["parameters"] is not None else ""]  # fmt: skip
        writer.writerow(line)
    return buffer.getvalue()
