"""kerasreg.uncertainty: calibration metrics, reliability diagrams and MC-dropout prediction.

The metrics are NumPy functions of predicted class probabilities ``(N, C)``
and labels: NLL, Brier score, ECE (equal-width, adaptive equal-mass and
classwise), AURC of selective classification, bootstrap intervals over
test examples, out-of-distribution detection scores, and temperature
scaling (`fit_temperature`); `corrupt` makes CIFAR-10-C-style corrupted
copies of images and `synthetic_ood` noise images for out-of-distribution
tests; `mc_predict` draws Monte Carlo dropout samples from a model
(`kerasreg.layers.enable_mc`) and returns their mean, entropy and mutual
information.
"""

from kerasreg.uncertainty.bootstrap import bootstrap_interval
from kerasreg.uncertainty.calibration import (
    adaptive_calibration_error,
    brier_score,
    classwise_calibration_error,
    expected_calibration_error,
    negative_log_likelihood,
    reliability_bins,
)
from kerasreg.uncertainty.corruptions import CORRUPTIONS, SEVERITIES, corrupt
from kerasreg.uncertainty.mc_sampling import mc_predict
from kerasreg.uncertainty.ood import ood_detection
from kerasreg.uncertainty.ood_sets import SYNTHETIC_OOD, synthetic_ood
from kerasreg.uncertainty.reliability import plot_reliability_diagram
from kerasreg.uncertainty.selective import area_under_risk_coverage, risk_coverage
from kerasreg.uncertainty.temperature import fit_temperature, scaled_probabilities

__all__ = [
    "CORRUPTIONS",
    "SEVERITIES",
    "SYNTHETIC_OOD",
    "adaptive_calibration_error",
    "area_under_risk_coverage",
    "bootstrap_interval",
    "brier_score",
    "classwise_calibration_error",
    "corrupt",
    "expected_calibration_error",
    "fit_temperature",
    "mc_predict",
    "negative_log_likelihood",
    "ood_detection",
    "plot_reliability_diagram",
    "reliability_bins",
    "risk_coverage",
    "scaled_probabilities",
    "synthetic_ood",
]
