"""`CyclicalLearningRate`: Smith's triangular cycles, the same values as PyTorch's CyclicLR."""

import math

import keras
from keras import ops

from kerasreg.schedules.steps import float_step
from kerasreg.validation import check_choice, check_finite_float, check_positive_int

MODES = ("triangular", "triangular2", "exp_range")


def check_learning_rate_range(base_learning_rate, max_learning_rate):
    base = check_finite_float("base_learning_rate", base_learning_rate)
    if base < 0:
        raise ValueError(
            "Invalid value received for argument `base_learning_rate`. Expected a "
            f"float >= 0. Received: base_learning_rate={base_learning_rate!r}"
        )
    top = check_finite_float("max_learning_rate", max_learning_rate)
    if top < base:
        raise ValueError(
            "Invalid value received for argument `max_learning_rate`. Expected a "
            f"float >= base_learning_rate={base!r}. Received: max_learning_rate={max_learning_rate!r}"
        )
    return base, top


@keras.saving.register_keras_serializable(package="kerasreg")
class CyclicalLearningRate(keras.optimizers.schedules.LearningRateSchedule):
    """Cyclical learning rate (Smith 2017): triangles between a base and a max rate.

    One cycle is ``2 * step_size`` steps, up then down. As in PyTorch's
    ``CyclicLR`` (symmetric cycles)::

        cycle = floor(1 + step / (2 * step_size))
        x     = 1 + step / (2 * step_size) - cycle          # position in the cycle, [0, 1)
        rise  = 2 * x  if x <= 0.5  else  2 * (1 - x)       # 0 -> 1 -> 0
        lr    = base + (max - base) * rise * scale

        triangular:   scale = 1
        triangular2:  scale = 1 / 2 ** (cycle - 1)         # amplitude halves every cycle
        exp_range:    scale = gamma ** step

    Modes are chosen by name (no lambdas), so the config round-trips.

    Args:
        base_learning_rate: Float >= 0, the bottom of each cycle.
        max_learning_rate: Float >= base, the top of the first cycle.
        step_size: Integer >= 1, steps of a half cycle.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
        gamma: Float in (0, 1], decay per step for ``"exp_range"``.

    Example:

    >>> from kerasreg.schedules import CyclicalLearningRate
    >>> clr = CyclicalLearningRate(0.001, 0.006, step_size=4)
    >>> [round(float(clr(s)), 5) for s in (0, 2, 4, 6, 8)]
    [0.001, 0.0035, 0.006, 0.0035, 0.001]

    Reference:
        Smith, "Cyclical Learning Rates for Training Neural Networks", WACV
        2017.
    """

    def __init__(self, base_learning_rate, max_learning_rate, step_size, mode="triangular", gamma=1.0):
        self.base_learning_rate, self.max_learning_rate = check_learning_rate_range(
            base_learning_rate, max_learning_rate
        )
        self.step_size = check_positive_int("step_size", step_size)
        self.mode = check_choice("mode", mode, MODES)
        self.gamma = check_finite_float("gamma", gamma, positive=True)
        if self.gamma > 1.0:
            raise ValueError(
                "Invalid value received for argument `gamma`. Expected a float in "
                f"(0, 1]. Received: gamma={gamma!r}"
            )

    def __call__(self, step):
        step = float_step(step)
        total = 2.0 * self.step_size
        # The position in the cycle from exact integer arithmetic (float32
        # holds integers exactly up to 2**24): `1 + step/total - cycle` would
        # lose ~1e-6 of relative precision to cancellation.
        into_cycle = step - total * ops.floor(step / total)
        cycle = (step - into_cycle) / total + 1.0
        rise = ops.where(
            into_cycle <= self.step_size,
            into_cycle / self.step_size,
            (total - into_cycle) / self.step_size,
        )
        height = (self.max_learning_rate - self.base_learning_rate) * rise
        if self.mode == "triangular2":
            height = height / ops.power(2.0, cycle - 1.0)
        elif self.mode == "exp_range":
            # gamma ** step as exp(step * log(gamma)) with log(gamma) from
            # float64: float32(gamma) ** step would compound gamma's rounding.
            height = height * ops.exp(step * math.log(self.gamma))
        return self.base_learning_rate + height

    def get_config(self):
        return {
            "base_learning_rate": self.base_learning_rate,
            "max_learning_rate": self.max_learning_rate,
            "step_size": self.step_size,
            "mode": self.mode,
            "gamma": self.gamma,
        }
