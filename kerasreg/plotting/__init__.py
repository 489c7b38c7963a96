"""kerasreg.plotting: PNG charts of schedules (drawn with matplotlib's Agg canvas)."""

from kerasreg.plotting.schedules import plot_schedule

__all__ = ["plot_schedule"]
