"""kerasreg.uncertainty: calibration metrics, reliability diagrams and MC-dropout prediction.

The metrics are NumPy functions of predicted class probabilities ``(N, C)``
and labels; `mc_predict` draws Monte Carlo dropout samples from a model
(`kerasreg.layers.enable_mc`) and returns their mean, entropy and mutual
information.
"""

from kerasreg.uncertainty.calibration import (
    brier_score,
    expected_calibration_error,
    negative_log_likelihood,
    reliability_bins,
)
from kerasreg.uncertainty.mc_sampling import mc_predict
from kerasreg.uncertainty.reliability import plot_reliability_diagram

__all__ = [
    "brier_score",
    "expected_calibration_error",
    "mc_predict",
    "negative_log_likelihood",
    "plot_reliability_diagram",
    "reliability_bins",
]
