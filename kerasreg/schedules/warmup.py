"""`WarmUp`: a linear or exponential ramp in front of any schedule."""

import keras
from keras import ops

from kerasreg.schedules.nesting import (
    as_schedule,
    deserialize_schedule,
    serialize_schedule,
)
from kerasreg.schedules.steps import float_step
from kerasreg.validation import check_bool, check_choice, check_finite_float, check_positive_int

MODES = ("linear", "exponential")


@keras.saving.register_keras_serializable(package="kerasreg")
class WarmUp(keras.optimizers.schedules.LearningRateSchedule):
    """Warms up from ``initial_learning_rate`` to any schedule over ``warmup_steps``.

    With ``target`` the wrapped schedule's first post-warmup value::

        shift=True:   target = schedule(0)
        shift=False:  target = schedule(warmup_steps)

        step < warmup_steps, linear:
            lr = initial + (target - initial) * step / warmup_steps
        step < warmup_steps, exponential:
            lr = initial * (target / initial) ** (step / warmup_steps)
        step >= warmup_steps:
            lr = schedule(step - warmup_steps)   if shift  (the schedule starts after warmup)
            lr = schedule(step)                  if not shift  (warmup replaces its start)

    ``shift=True`` (the default) is what Keras's `CosineDecay(warmup_steps=...)`
    does: the wrapped schedule runs its whole course after the warmup. With
    ``shift=False`` the wrapped schedule keeps its own clock and the warmup
    overwrites its first ``warmup_steps`` values.

    Args:
        schedule: A `LearningRateSchedule` or a float (a constant rate).
        warmup_steps: Integer >= 1.
        initial_learning_rate: Float >= 0, the rate at step 0; must be > 0
            for ``mode="exponential"``.
        mode: ``"linear"`` or ``"exponential"`` (geometric) ramp.
        shift: Bool, see above.

    Example:

    >>> import keras
    >>> from kerasreg.schedules import WarmUp
    >>> cosine = keras.optimizers.schedules.CosineDecay(0.1, decay_steps=1000)
    >>> schedule = WarmUp(cosine, warmup_steps=100)
    >>> [round(float(schedule(s)), 4) for s in (0, 50, 100, 1100)]
    [0.0, 0.05, 0.1, 0.0]

    Reference:
        Goyal et al., "Accurate, Large Minibatch SGD: Training ImageNet in 1
        Hour", arXiv:1706.02677, 2017 (gradual warmup).
    """

    def __init__(self, schedule, warmup_steps, initial_learning_rate=0.0, mode="linear", shift=True):
        self.schedule = as_schedule(schedule)
        self.warmup_steps = check_positive_int("warmup_steps", warmup_steps)
        self.initial_learning_rate = check_finite_float("initial_learning_rate", initial_learning_rate)
        self.mode = check_choice("mode", mode, MODES)
        self.shift = check_bool("shift", shift)
        if self.initial_learning_rate < 0 or (mode == "exponential" and self.initial_learning_rate == 0):
            expected = "a float > 0 for mode='exponential'" if mode == "exponential" else "a float >= 0"
            raise ValueError(
                "Invalid value received for argument `initial_learning_rate`. "
                f"Expected {expected}. Received: initial_learning_rate={initial_learning_rate!r}"
            )

    def __call__(self, step):
        step = float_step(step)
        warmup = float(self.warmup_steps)
        if self.shift:
            target = ops.cast(self.schedule(ops.zeros_like(step)), "float32")
            after = self.schedule(ops.maximum(step - warmup, 0.0))
        else:
            target = ops.cast(self.schedule(ops.full_like(step, warmup)), "float32")
            after = self.schedule(step)
        fraction = ops.minimum(step / warmup, 1.0)
        initial = self.initial_learning_rate
        if self.mode == "linear":
            ramp = initial + (target - initial) * fraction
        else:
            ramp = initial * ops.power(target / initial, fraction)
        return ops.where(step < warmup, ramp, ops.cast(after, "float32"))

    def get_config(self):
        return {
            "schedule": serialize_schedule(self.schedule),
            "warmup_steps": self.warmup_steps,
            "initial_learning_rate": self.initial_learning_rate,
            "mode": self.mode,
            "shift": self.shift,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**{**config, "schedule": deserialize_schedule(config["schedule"])})
