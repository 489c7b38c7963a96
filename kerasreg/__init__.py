"""kerasreg: regularization and learning-rate research for Keras 3.

Importing the package registers every kerasreg layer and model with Keras's
serialization, so `.keras` files that use them load without
``custom_objects``. `kerasreg.Experiment` runs your own model and data
through the engine (imported on first use, so ``import kerasreg`` stays
light).
"""

from kerasreg import startup

if startup.running_as_command():
    startup.import_tensorflow_quietly()

from kerasreg import architectures, callbacks, layers, models, plotting, schedules  # noqa: E402
from kerasreg.schedules import find_lr  # noqa: E402
from kerasreg.version import __version__  # noqa: E402

__all__ = ["Experiment", "architectures", "callbacks", "find_lr", "layers", "models", "plotting", "schedules",
           "__version__"]  # fmt: skip


def __getattr__(name):
    # `Experiment` pulls in the engine, tuning and comparison (TensorFlow's
    # data pipeline, KerasTuner); users of the layers alone need none of it.
    if name == "Experiment":
        from kerasreg.experiment import Experiment

        return Experiment
    raise AttributeError(f"module 'kerasreg' has no attribute {name!r}")
