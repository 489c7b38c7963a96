"""`plot_reliability_diagram`: accuracy against confidence, as a PNG."""

import io

from kerasreg.atomic_files import atomic_write
from kerasreg.plotting.schedules import check_png_path, new_figure
from kerasreg.uncertainty.calibration import ece_of_bins, reliability_bins
from kerasreg.validation import invalid_argument


def plot_reliability_diagram(probabilities, labels, path=None, num_bins=15, title=None):
    """Draws the reliability diagram of Guo et al. (2017) and returns it as PNG bytes.

    One bar per confidence bin (`reliability_bins`) with the accuracy of its
    predictions, the gap to the bin's mean confidence shaded, and the
    diagonal of perfect calibration; the title carries the ECE of the same
    bins. Bars under the diagonal are over-confident bins. Drawn on
    matplotlib's Agg canvas, never through ``pyplot``.

    Args:
        probabilities: Array ``(N, C)`` of class probabilities; each row
            non-negative and summing to 1 (within 1e-3).
        labels: ``(N,)`` (or ``(N, 1)``) integer classes in ``[0, C)``, or
            ``(N, C)`` one-hot rows.
        path: Optional file path ending in ``.png``; if given the image is
            also written there atomically (temporary file, then
            ``os.replace``).
        num_bins: Integer >= 1, the number of equal-width confidence bins.
        title: Optional chart title, default ``"Reliability diagram"``.

    Returns:
        The PNG file's bytes.

    Example:

    >>> from kerasreg.uncertainty import plot_reliability_diagram
    >>> png = plot_reliability_diagram([[0.9, 0.1], [0.2, 0.8]], [0, 0], num_bins=10)
    >>> png[1:4]
    b'PNG'

    Reference:
        Guo, Pleiss, Sun & Weinberger, "On Calibration of Modern Neural
        Networks", ICML 2017.
    """
    if path is not None:
        path = check_png_path("path", path)
    if title is not None and not isinstance(title, str):
        raise invalid_argument("title", "None or a string", title)
    bins = reliability_bins(probabilities, labels, num_bins)
    ece = ece_of_bins(bins)

    edges = bins["edges"]
    width = edges[1] - edges[0]
    filled = bins["count"] > 0
    left = edges[:-1][filled]
    accuracy = bins["accuracy"][filled]
    confidence = bins["confidence"][filled]

    figure = new_figure(5.0, 5.0)
    axes = figure.add_subplot()
    axes.bar(
        left, accuracy, width=width, align="edge", color="tab:blue",
        edgecolor="black", linewidth=0.6, label="accuracy",
    )
    axes.bar(
        left, confidence - accuracy, bottom=accuracy, width=width, align="edge",
        color="tab:red", alpha=0.3, edgecolor="tab:red", hatch="//",
        label="gap to confidence",
    )
    axes.plot([0, 1], [0, 1], linestyle="--", color="gray", label="perfect calibration")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_aspect("equal")
    axes.set_xlabel("confidence")
    axes.set_ylabel("accuracy")
    axes.set_title(f"{title or 'Reliability diagram'} (ECE = {ece:.4f})")
    axes.legend(loc="upper left")
    axes.grid(True, alpha=0.3)

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    png = buffer.getvalue()
    if path is not None:
        with atomic_write(path, "wb") as stream:
            stream.write(png)
    return png
