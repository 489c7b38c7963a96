"""kerasreg.callbacks: training callbacks Keras lacks or that break with schedules."""

from kerasreg.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from kerasreg.callbacks.swa import StochasticWeightAveraging, recompute_batch_norm_statistics

__all__ = ["ReduceLROnPlateau", "StochasticWeightAveraging", "recompute_batch_norm_statistics"]
