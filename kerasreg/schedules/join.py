"""`Join`: schedules one after another, each on its own clock."""

import numbers

import keras
from keras import ops

from kerasreg.schedules.nesting import (
    as_schedule,
    deserialize_schedule,
    serialize_schedule,
)
from kerasreg.schedules.steps import float_step


@keras.saving.register_keras_serializable(package="kerasreg")
class Join(keras.optimizers.schedules.LearningRateSchedule):
    """Piecewise composition: ``schedules[i]`` runs from ``boundaries[i-1]`` to ``boundaries[i]``.

    Each piece sees the steps counted from its own start::

        lr(step) = schedules[i](step - boundaries[i - 1])
                   for boundaries[i - 1] <= step < boundaries[i]   (boundaries[-1] = 0)

    The last piece runs forever. Pieces may be floats (constant rates) or any
    schedule, Joins and WarmUps included; the config nests them, so a Join
    saves and loads with the optimizer.

    Args:
        schedules: List of ``n >= 1`` schedules or floats.
        boundaries: List of ``n - 1`` strictly increasing integers > 0.

    Example:

    >>> import keras
    >>> from kerasreg.schedules import Join
    >>> decay = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    >>> schedule = Join([0.1, decay], boundaries=[5])
    >>> [round(float(schedule(s)), 4) for s in (0, 4, 5, 15)]
    [0.1, 0.1, 0.1, 0.05]
    """

    def __init__(self, schedules, boundaries):
        if not isinstance(schedules, (list, tuple)) or not schedules:
            raise ValueError(
                "Invalid value received for argument `schedules`. Expected a "
                f"non-empty list of schedules or floats. Received: schedules={schedules!r}"
            )
        self.schedules = [as_schedule(s) for s in schedules]
        boundaries = list(boundaries) if isinstance(boundaries, (list, tuple)) else boundaries
        if (
            not isinstance(boundaries, list)
            or len(boundaries) != len(schedules) - 1
            or not all(isinstance(b, numbers.Integral) and not isinstance(b, bool) for b in boundaries)
            or any(b <= 0 for b in boundaries)
            or any(later <= earlier for earlier, later in zip(boundaries, boundaries[1:]))
        ):
            raise ValueError(
                "Invalid value received for argument `boundaries`. Expected "
                f"{len(schedules) - 1} strictly increasing integers > 0 (one fewer "
                f"than schedules). Received: boundaries={boundaries!r}"
            )
        self.boundaries = [int(b) for b in boundaries]

    def __call__(self, step):
        step = float_step(step)
        starts = [0] + self.boundaries
        lr = None
        for start, schedule in zip(starts, self.schedules):
            value = ops.cast(schedule(ops.maximum(step - start, 0.0)), "float32")
            lr = value if lr is None else ops.where(step >= start, value, lr)
        return lr

    def get_config(self):
        return {
            "schedules": [serialize_schedule(s) for s in self.schedules],
            "boundaries": list(self.boundaries),
        }

    @classmethod
    def from_config(cls, config):
        schedules = [deserialize_schedule(s) for s in config["schedules"]]
        return cls(schedules, config["boundaries"])
