"""kerasreg.callbacks: training callbacks Keras lacks or that break with schedules."""

from kerasreg.callbacks.lookahead import Lookahead, lookahead_decay
from kerasreg.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from kerasreg.callbacks.swa import StochasticWeightAveraging, recompute_batch_norm_statistics

__all__ = ["Lookahead", "ReduceLROnPlateau", "StochasticWeightAveraging", "lookahead_decay", "recompute_batch_norm_statistics"]
