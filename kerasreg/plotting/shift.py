"""`plot_shift`: accuracy and ECE against corruption severity, one line per predictor."""

import math

from kerasreg.plotting.schedules import check_png_path, new_figure, save_png


def _series(report, metric, intervals):
    """``(severities, means, half widths)`` of one predictor: severity 0 is the clean test set."""
    shift = report["shift"]
    severities = [0] + [int(s) for s in shift["by_severity"]]
    values = [report["clean"][metric]] + [shift["by_severity"][s][metric] for s in shift["by_severity"]]
    if not intervals:
        return severities, values, None
    halves = [(cell["high"] - cell["low"]) / 2 if cell and not math.isnan(cell["low"]) else 0.0 for cell in values]
    return severities, [cell["mean"] if cell else math.nan for cell in values], halves


def plot_shift(reports, path, title=None, intervals=False):
    """Writes a PNG: test accuracy and ECE (mean over corruptions) against severity, severity 0 being clean data.

    Args:
        reports: ``{predictor: report}`` with ``"clean"`` and ``"shift"``
            as `kerasreg.engine.robustness.score_predictors` returns them;
            with ``intervals``, every value is ``{"mean", "low", "high"}``
            (an uncertainty table's rows) and drawn with its interval.
        path: The ``.png`` file to write (atomically).
        title: Optional figure title.

    Returns:
        ``path``.
    """
    path = check_png_path("path", path)
    figure = new_figure(10.0, 4.2)
    for column, (metric, label) in enumerate((("accuracy", "test accuracy"), ("ece", "ECE (15 bins)"))):
        axes = figure.add_subplot(1, 2, column + 1)
        for name, report in reports.items():
            if not report.get("shift"):
                continue
            severities, values, halves = _series(report, metric, intervals)
            axes.errorbar(severities, values, yerr=halves, marker="o", capsize=3, label=name)
        axes.set_xlabel("corruption severity (0 = clean)")
        axes.set_ylabel(label)
        axes.set_xticks(range(6))
        axes.grid(alpha=0.3)
        if column == 0:
            axes.legend(fontsize="small")
    if title:
        figure.suptitle(title)
    return save_png(figure, path)
