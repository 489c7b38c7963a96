"""kerasreg: regularization and learning-rate research for Keras 3.

Importing the package registers every kerasreg layer and model with Keras's
serialization, so `.keras` files that use them load without
``custom_objects``. `kerasreg.Experiment` runs your own model and data
through the engine (imported on first use, so ``import kerasreg`` stays
light).
"""

import importlib

from kerasreg import startup
from kerasreg.version import __version__

__all__ = ["Experiment", "architectures", "callbacks", "find_lr", "layers", "models", "plotting", "schedules",
           "__version__"]  # fmt: skip

if not startup.running_as_command():
    # Registers the layers and models with Keras's serialization. A command
    # line (``python -m kerasreg...``) defers this until its arguments are
    # checked (`startup.load_library`), so that --help and bad input answer
    # without loading TensorFlow.
    # The same packages as `startup.SUBPACKAGES`, named for readers and linters.
    from kerasreg import architectures, callbacks, layers, models, plotting, schedules  # noqa: E402
    from kerasreg.schedules import find_lr  # noqa: E402


def __getattr__(name):
    if name in startup.SUBPACKAGES:
        return importlib.import_module(f"kerasreg.{name}")
    if name == "find_lr":
        from kerasreg.schedules import find_lr

        return find_lr
    # `Experiment` pulls in the engine, tuning and comparison (TensorFlow's
    # data pipeline, KerasTuner); users of the layers alone need none of it.
    if name == "Experiment":
        from kerasreg.experiment import Experiment

        return Experiment
    raise AttributeError(f"module 'kerasreg' has no attribute {name!r}")
