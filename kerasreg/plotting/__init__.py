"""kerasreg.plotting: PNG charts of schedules, comparisons, accuracy under shift and performance profiles.

Drawn on matplotlib's Agg canvas, never through ``pyplot``.
"""

from kerasreg.plotting.comparison import plot_comparison
from kerasreg.plotting.profiles import plot_performance_profile
from kerasreg.plotting.schedules import plot_schedule
from kerasreg.plotting.shift import plot_shift

__all__ = ["plot_comparison", "plot_performance_profile", "plot_schedule", "plot_shift"]
