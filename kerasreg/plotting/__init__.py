"""kerasreg.plotting: PNG charts of schedules and comparisons (drawn with matplotlib's Agg canvas)."""

from kerasreg.plotting.comparison import plot_comparison
from kerasreg.plotting.schedules import plot_schedule

__all__ = ["plot_comparison", "plot_schedule"]
