"""`plot_performance_profile`: each method's performance profile ρ(τ) as a step curve over a log τ axis."""

import numpy as np

from kerasreg.plotting.schedules import check_png_path, new_figure, save_png
from kerasreg.validation import invalid_argument


def plot_performance_profile(profiles, taus, path, title=None):
    """Writes a PNG of performance profiles: per method, the share of workloads within τ times the fastest.

    The curves are steps that hold each value until the next τ (a profile
    only rises where some ratio equals τ), on a logarithmic τ axis from 1.
    Only finite τ are drawn: ρ(∞), the share each method reached at all,
    is where its curve levels off past the largest ratio.

    Args:
        profiles: Non-empty dict ``{method: shares}``, as
            `kerasreg.comparison.performance_profile` returns it: one
            share in [0, 1] per τ.
        taus: The τ of the shares, ratios >= 1, at least one finite.
        path: The ``.png`` file to write (atomically).
        title: Optional figure title.

    Returns:
        ``path``, as a ``str``.

    Example:

    >>> import os, tempfile
    >>> from kerasreg.plotting import plot_performance_profile
    >>> taus = [1.0, 1.5, 2.0, 4.0]
    >>> profiles = {"none": [0.5, 0.5, 1.0, 1.0], "dropout": [0.5, 1.0, 1.0, 1.0]}
    >>> path = plot_performance_profile(profiles, taus, os.path.join(tempfile.mkdtemp(), "profile.png"))
    >>> os.path.getsize(path) > 0
    True
    """
    # matplotlib loads when a chart is drawn (as in `new_figure`), not when kerasreg.plotting is imported.
    from matplotlib.ticker import LogFormatter

    path = check_png_path("path", path)
    try:
        taus = np.asarray(taus, dtype="float64")
    except (TypeError, ValueError):
        taus = None
    if taus is None or taus.ndim != 1 or not np.all(taus >= 1.0) or not np.isfinite(taus).any():
        raise invalid_argument("taus", "a 1-D sequence of ratios >= 1 with at least one finite", taus)
    expected = f"a non-empty dict {{method: shares}} with {taus.size} shares in [0, 1] per method, one per τ"
    if not isinstance(profiles, dict) or not profiles:
        raise invalid_argument("profiles", expected, profiles)
    curves = {}
    for method, shares in profiles.items():
        try:
            values = np.asarray(shares, dtype="float64")
        except (TypeError, ValueError):
            values = None
        if values is None or values.shape != taus.shape or not np.all((values >= 0) & (values <= 1)):
            raise invalid_argument("profiles", expected, profiles)
        curves[str(method)] = values
    if title is not None and not isinstance(title, str):
        raise invalid_argument("title", "None or a string", title)

    finite = np.isfinite(taus)
    order = np.argsort(taus[finite], kind="stable")
    x = taus[finite][order]
    figure = new_figure()
    axes = figure.add_subplot()
    for method, values in curves.items():
        axes.step(x, values[finite][order], where="post", label=method, linewidth=1.8)
    axes.set_xscale("log")
    # Plain numbers (2, 3, 10) read as ratios; the default scientific labels (2 × 10^0) do not.
    axes.xaxis.set_major_formatter(LogFormatter(labelOnlyBase=False))
    axes.xaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False))
    # A log axis needs two distinct ends; with τ = 1 alone, show up to 2.
    axes.set_xlim(1.0, max(float(x[-1]), 2.0))
    axes.set_ylim(-0.02, 1.02)
    axes.set_xlabel("τ (time to target / fastest method's time)")
    axes.set_ylabel("ρ(τ): share of workloads within τ")
    axes.set_title("Performance profile" if title is None else title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(loc="lower right")
    return save_png(figure, path)
