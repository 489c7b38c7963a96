"""Table cells of intervals, shared by the comparison and uncertainty tables (no Keras: command lines import it)."""

import math


def plus_minus(cell, digits=4, scale=1.0):
    """``"mean ± half-width"`` of an interval ``{"mean", "low", "high"}`` (times ``scale``); the mean alone when
    the interval is undefined (one seed); ``"-"`` for no cell."""
    if cell is None:
        return "-"
    mean = cell["mean"] * scale
    if math.isnan(cell["low"]):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {(cell['high'] - cell['low']) / 2 * scale:.{digits}f}"
