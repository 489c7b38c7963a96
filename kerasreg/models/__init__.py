"""Keras models that kerasreg's layers need for training."""

from kerasreg.models.multi_sample_model import MultiSampleModel

__all__ = ["MultiSampleModel"]
