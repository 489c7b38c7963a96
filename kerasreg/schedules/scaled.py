"""`Scaled`: any schedule times a factor — what plateau reductions change."""

import keras
from keras import ops

from kerasreg.schedules.nesting import as_schedule, deserialize_schedule, serialize_schedule
from kerasreg.validation import check_finite_float


@keras.saving.register_keras_serializable(package="kerasreg")
class Scaled(keras.optimizers.schedules.LearningRateSchedule):
    """``lr(step) = scale * schedule(step)``.

    `kerasreg.callbacks.ReduceLROnPlateau` lowers ``scale`` when a metric
    stalls, so plateau reductions work with every schedule; ``scale`` is part
    of the config, so a saved model's optimizer keeps its reductions.

    Args:
        schedule: A `LearningRateSchedule` or a float.
        scale: Float >= 0.

    Example:

    >>> import keras
    >>> from kerasreg.schedules import Scaled
    >>> cosine = keras.optimizers.schedules.CosineDecay(0.1, decay_steps=100)
    >>> round(float(Scaled(cosine, scale=0.5)(0)), 4)
    0.05
    """

    def __init__(self, schedule, scale=1.0):
        self.schedule = as_schedule(schedule)
        self.scale = check_finite_float("scale", scale)
        if self.scale < 0:
            raise ValueError(
                f"Invalid value received for argument `scale`. Expected a float >= 0. Received: scale={scale!r}"
            )

    def __call__(self, step):
        return self.scale * ops.cast(self.schedule(step), "float32")

    def get_config(self):
        return {"schedule": serialize_schedule(self.schedule), "scale": self.scale}

    @classmethod
    def from_config(cls, config):
        return cls(deserialize_schedule(config["schedule"]), config["scale"])
