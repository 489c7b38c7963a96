"""kerasreg: regularization and learning-rate research for Keras 3.

Importing the package registers every kerasreg layer and model with Keras's
serialization, so `.keras` files that use them load without
``custom_objects``.
"""

from kerasreg import callbacks, layers, models, schedules

__version__ = "0.1.0"

__all__ = ["callbacks", "layers", "models", "schedules", "__version__"]
