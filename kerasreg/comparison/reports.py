"""A comparison's report: its finished runs collected, and the table files written from them.

``comparison.json`` (rows with every interval, bootstrap interval, paired
and Holm-adjusted test and seed count, and which runs ran on which
machine), ``comparison.md`` (with that machine note, and for a tuned
comparison each variant's tuned values), ``comparison.csv`` and
``comparison.png``, each written atomically; the table and chart also go to
the folder's TensorBoard events.
"""

import os
from typing import NamedTuple

from kerasreg.atomic_files import atomic_write
from kerasreg.comparison.table import (STATISTICS, code_groups, code_markdown, csv_text, machine_groups, machines_markdown,
                                       markdown, metrics_of, summarize)
from kerasreg.engine.run_files import read_json, write_json_atomic
from kerasreg.version import code_identity


class Report(NamedTuple):
    """What a comparison's table files hold: the rows and the Markdown body (table and machine note)."""

    rows: list
    markdown: str


class ComparisonResult(NamedTuple):
    """What `run_comparison` returns: the folder, its report, and the runs that failed."""

    folder: str
    report: Report
    failed: list


def collect_runs(root, spec, seeds=None):
    """``{variant: {seed: results}}`` of the finished runs (``results.json``) under ``root``.

    ``seeds``: the seeds to look for; ``None`` takes every ``seed-<s>``
    folder there (what `docs/results/collect.py` copied).
    """
    runs = {}
    for variant in spec.variants:
        folder = os.path.join(root, variant.folder)
        wanted = seeds
        if wanted is None:
            names = os.listdir(folder) if os.path.isdir(folder) else []
            wanted = sorted(int(n[5:]) for n in names if n.startswith("seed-") and n[5:].isdigit())
        for seed in wanted:
            results = read_json(os.path.join(folder, f"seed-{seed}", "results.json"))
            if results is not None:
                runs.setdefault(variant.name, {})[seed] = results
    return runs


def tuning_markdown(spec, tuned):
    """The note under a tuned comparison's table: the budget and each variant's tuned values."""
    tune = spec.tune
    keys = []
    for variant in spec.variants:
        keys += [k for k in spec.tuned_tables(variant) if k not in keys]
    lines = [f"Tuned at an equal budget: each variant's {tune.tuner} search over {', '.join(f'`{k}`' for k in keys)} "
             "on the validation split, then its seeds at its best values (`tuning.json`):", ""]  # fmt: skip
    for variant in spec.variants:
        best = (tuned or {}).get(variant.name)
        shown = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in best.items()) \
            if best else "not tuned yet"
        lines.append(f"- {variant.name}: {shown}")
    return "\n".join(lines) + "\n"


def write_report(root, spec, runs, failed=(), tensorboard=True, metric="accuracy", tuned=None):
    """``comparison.json/.md/.csv/.png`` in ``root`` from ``runs`` (``{variant: {seed: results}}``), each
    written atomically, and (``tensorboard``) the table and chart to ``root``'s events; returns a `Report`.

    ``tuned``: ``{variant: values}`` of a tuned comparison (`kerasreg.comparison.dispatch`), noted under
    the table and recorded in each row."""
    from kerasreg.plotting import plot_comparison

    rows = summarize(spec, runs, metric=metric)
    if spec.tune is not None:
        for row in rows:
            row["tuned"] = (tuned or {}).get(row["variant"])
    groups = machine_groups(runs)
    codes = code_groups(runs)
    write_json_atomic(os.path.join(root, "comparison.json"), {
        "comparison": spec.name, "baseline": spec.baseline, "seeds_requested": spec.seeds,
        "metric": metric, "metrics": {column: meaning for column, _, meaning in metrics_of(metric)},
        "statistics": STATISTICS, "rows": rows,
        "machines": groups, "code": codes, "table_written_by": code_identity(),
        "failed": list(failed)})  # fmt: skip
    note = machines_markdown(groups, runs) + code_markdown(codes, runs)
    if spec.tune is not None:
        note = tuning_markdown(spec, tuned) + (f"\n{note}" if note else "")
    body = markdown(rows, metric=metric) + (f"\n{note}" if note else "")
    with atomic_write(os.path.join(root, "comparison.md")) as handle:
        handle.write(f"# {spec.name}\n\n{body}")
    with atomic_write(os.path.join(root, "comparison.csv")) as handle:
        handle.write(csv_text(rows, metric=metric))
    chart = None
    if metric == "accuracy" and any(row["test_accuracy"] for row in rows):
        chart = plot_comparison(rows, os.path.join(root, "comparison.png"), title=spec.name)
    if tensorboard:
        _log_to_tensorboard(root, rows, note, chart, metric)
    return Report(rows, body)


def _log_to_tensorboard(root, rows, note, chart, metric):
    import tensorflow as tf

    from kerasreg.reporting.tensorboard import png_to_image

    finished = sum(len(row["seeds"]) for row in rows)
    writer = tf.summary.create_file_writer(root)
    with writer.as_default():
        tf.summary.text("comparison/table", markdown(rows, metric=metric) + (f"\n{note}" if note else ""),
                        step=finished)  # fmt: skip
        if chart is not None:
            with open(chart, "rb") as handle:
                tf.summary.image("comparison/chart", png_to_image(handle.read()), step=finished)
    writer.close()
