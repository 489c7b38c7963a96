"""kerasreg: regularization and learning-rate research for Keras 3.

Importing the package registers every kerasreg layer and model with Keras's
serialization, so `.keras` files that use them load without
``custom_objects``.
"""

from kerasreg import callbacks, layers, models, plotting, schedules
from kerasreg.schedules import find_lr

__version__ = "0.1.0"

__all__ = ["callbacks", "find_lr", "layers", "models", "plotting", "schedules", "__version__"]
