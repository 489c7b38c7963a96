"""kerasreg: regularization and learning-rate research for Keras 3.

Importing the package registers every kerasreg layer and model with Keras's
serialization, so `.keras` files that use them load without
``custom_objects``.
"""

from kerasreg import startup

if startup.running_as_command():
    startup.import_tensorflow_quietly()

from kerasreg import architectures, callbacks, layers, models, plotting, schedules  # noqa: E402
from kerasreg.schedules import find_lr  # noqa: E402

__version__ = "0.1.0"

__all__ = ["architectures", "callbacks", "find_lr", "layers", "models", "plotting", "schedules", "__version__"]
