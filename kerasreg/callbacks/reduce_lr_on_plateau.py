"""`ReduceLROnPlateau` that also works when the learning rate is a schedule."""

import keras

from kerasreg import internals
from kerasreg.schedules.scaled import Scaled


class ReduceLROnPlateau(keras.callbacks.ReduceLROnPlateau):
    """Keras's `ReduceLROnPlateau`, extended to learning-rate schedules.

    Keras's callback sets ``optimizer.learning_rate`` to a float, which raises
    when the optimizer was given a schedule. This one keeps every argument and
    all of Keras's plateau bookkeeping (``monitor``, ``factor``,
    ``patience``, ``min_delta``, ``cooldown``, ``mode``), and:

    - with a float learning rate, behaves exactly like Keras's;
    - with a schedule, wraps it once in `kerasreg.schedules.Scaled` (at the
      start of training) and multiplies the scale by ``factor`` on a plateau,
      so the schedule keeps its shape at a lower level. ``min_lr`` bounds the
      current scaled rate. The scale is part of the optimizer's config, so a
      saved and reloaded model keeps its reductions.

    A schedule's value is traced into the compiled train step, so after a
    reduction the train function is rebuilt (one retrace per reduction,
    typically a few per run).

    Example:

    >>> import keras, numpy as np
    >>> from kerasreg.callbacks import ReduceLROnPlateau
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> cosine = keras.optimizers.schedules.CosineDecay(0.01, decay_steps=100)
    >>> model.compile(keras.optimizers.SGD(cosine), "mse")
    >>> callback = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=1e9)
    >>> history = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=3,
    ...                     callbacks=[callback], verbose=0)
    >>> callback.scale
    0.25
    """

    @property
    def scale(self):
        """The current factor on the schedule (1.0 for float learning rates)."""
        schedule = _schedule_of(self.model.optimizer)
        return schedule.scale if isinstance(schedule, Scaled) else 1.0

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        for optimizer in _optimizers(self.model.optimizer):
            schedule = _schedule_of(optimizer)
            if schedule is not None and not isinstance(schedule, Scaled):
                optimizer.learning_rate = Scaled(schedule)
                self.model.make_train_function(force=True)

    # Keras's per-optimizer reduction step (`internals.REDUCE_LR_HOOK`, Keras
    # >= 3.15): overridden so a schedule is scaled instead of replaced.
    def _reduce_optimizer_lr(self, optimizer, epoch, name=""):
        schedule = _schedule_of(optimizer)
        if schedule is None:
            return super()._reduce_optimizer_lr(optimizer, epoch, name)
        old_lr = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        if not old_lr > self.min_lr:
            return False
        factor = max(self.factor, self.min_lr / old_lr)
        schedule.scale *= factor
        # The scale is a Python float traced into the step: retrace.
        self.model.make_train_function(force=True)
        if self.verbose > 0:
            print(
                f"\nEpoch {epoch + 1}: ReduceLROnPlateau scaling{' ' + name if name else ''} "
                f"the learning-rate schedule by {schedule.scale:.4g} (now {old_lr * factor:.4g})."
            )
        return True


def _optimizers(optimizer):
    return list(getattr(optimizer, "optimizers", None) or [optimizer])


_schedule_of = internals.optimizer_schedule
