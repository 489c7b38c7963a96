"""kerasreg.callbacks: training callbacks Keras lacks or that break with schedules."""

from kerasreg.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau

__all__ = ["ReduceLROnPlateau"]
