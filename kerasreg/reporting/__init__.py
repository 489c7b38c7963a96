"""kerasreg.reporting: what a run leaves for people — TensorBoard extras and result summaries."""

from kerasreg.reporting.tensorboard import RunLogger, confusion_matrix, flat_hparams

__all__ = ["RunLogger", "confusion_matrix", "flat_hparams"]
