"""`plot_comparison`: a bar chart of each variant's test accuracy with its confidence interval."""

import math

import numpy as np

from kerasreg.plotting.schedules import check_png_path, new_figure, save_png


def plot_comparison(rows, path, title=None):
    """Writes a PNG: one bar per variant (mean test accuracy over seeds), error bars = the interval.

    Args:
        rows: The rows of `kerasreg.comparison.summarize`.
        path: The ``.png`` file to write (atomically).
        title: Optional figure title.

    Returns:
        ``path``.
    """
    path = check_png_path("path", path)
    names = [row["variant"] for row in rows]
    means = np.array([row["test_accuracy"]["mean"] * 100 if row["test_accuracy"] else math.nan for row in rows])
    errors = np.array([
        (row["test_accuracy"]["high"] - row["test_accuracy"]["low"]) / 2 * 100
        if row["test_accuracy"] and not math.isnan(row["test_accuracy"]["low"]) else 0.0
        for row in rows
    ])  # fmt: skip
    figure = new_figure(max(5.0, 0.9 * len(rows) + 2), 4.5)
    axes = figure.add_subplot(1, 1, 1)
    colors = ["tab:orange" if row["baseline"] else "tab:blue" for row in rows]
    positions = np.arange(len(rows))
    axes.bar(positions, np.nan_to_num(means), yerr=errors, color=colors, capsize=4)
    finite = means[np.isfinite(means)]
    if finite.size:
        # Zoom on the values: differences of a point matter here, and bars from 0 hide them.
        low = float(np.min(finite - errors[np.isfinite(means)]))
        high = float(np.max(finite + errors[np.isfinite(means)]))
        margin = max(0.5, (high - low) * 0.3)
        axes.set_ylim(max(0.0, low - margin), min(100.0, high + margin))
    axes.set_xticks(positions)
    axes.set_xticklabels(names, rotation=30 if len(rows) > 3 else 0, ha="right" if len(rows) > 3 else "center")
    axes.set_ylabel("test accuracy % (mean, 95 % CI over seeds)")
    axes.set_title(title or "test accuracy by variant (orange: baseline)")
    axes.grid(axis="y", alpha=0.3)
    return save_png(figure, path)
