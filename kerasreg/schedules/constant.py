"""`Constant`: a fixed learning rate as a schedule."""

import keras
from keras import ops

from kerasreg.schedules.steps import float_step
from kerasreg.validation import check_finite_float


@keras.saving.register_keras_serializable(package="kerasreg")
class Constant(keras.optimizers.schedules.LearningRateSchedule):
    """A constant learning rate, as a `LearningRateSchedule`.

    Lets a fixed rate be wrapped (`WarmUp`, `Join`, `Scaled`) like any other
    schedule. ``lr(step) = learning_rate``.

    Args:
        learning_rate: Float >= 0.

    Example:

    >>> from kerasreg.schedules import Constant
    >>> round(float(Constant(0.1)(1000)), 6)
    0.1
    """

    def __init__(self, learning_rate):
        self.learning_rate = check_finite_float("learning_rate", learning_rate)
        if self.learning_rate < 0:
            raise ValueError(
                "Invalid value received for argument `learning_rate`. Expected a "
                f"float >= 0. Received: learning_rate={learning_rate!r}"
            )

    def __call__(self, step):
        return ops.full_like(float_step(step), self.learning_rate)

    def get_config(self):
        return {"learning_rate": self.learning_rate}
