"""`OneCycle`: Smith & Topin's one-cycle policy, the same values as PyTorch's OneCycleLR."""

import math

import keras
from keras import ops

from kerasreg.schedules.steps import float_step
from kerasreg.validation import check_bool, check_choice, check_finite_float, check_positive_int

ANNEAL_STRATEGIES = ("cos", "linear")


def one_cycle_phases(max_learning_rate, total_steps, pct_start, div_factor, final_div_factor, three_phase):
    """The phases ``(end_step, start_lr, end_lr)`` exactly as PyTorch's OneCycleLR lays them out."""
    initial = max_learning_rate / div_factor
    minimum = initial / final_div_factor
    rise_end = float(pct_start * total_steps) - 1
    if three_phase:
        return [
            (rise_end, initial, max_learning_rate),
            (float(2 * pct_start * total_steps) - 2, max_learning_rate, initial),
            (total_steps - 1, initial, minimum),
        ]
    return [(rise_end, initial, max_learning_rate), (total_steps - 1, max_learning_rate, minimum)]


@keras.saving.register_keras_serializable(package="kerasreg")
class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """The one-cycle policy (Smith & Topin 2018), value for value PyTorch's ``OneCycleLR``.

    The rate rises from ``initial = max / div_factor`` to ``max`` over the
    first ``pct_start`` of ``total_steps``, then anneals to ``min = initial /
    final_div_factor`` (``three_phase=True``: back down to ``initial``, then
    to ``min``). Phase ``k`` ends at PyTorch's step ``end_k`` (``pct_start *
    total - 1``, [``2 * pct_start * total - 2``,] ``total - 1``); within a
    phase running from ``start`` to ``end`` with ``pct = (step - start) /
    (end - start)``::

        cos:     lr = end_lr + (start_lr - end_lr) * (1 + cos(pi * pct)) / 2
        linear:  lr = start_lr + (end_lr - start_lr) * pct

    The values equal PyTorch's at every step of the cycle, ``0`` to
    ``total_steps - 1``. Past the cycle, where PyTorch extrapolates the last
    phase for one step and then raises (a linear anneal would go negative),
    this schedule holds its final rate ``min``, as Keras's own decay
    schedules hold theirs. The cosine is evaluated as ``sin(pct * pi/2)**2`` from
    the nearer end of the phase, so the small rates at the ends keep float32
    precision. Momentum cycling is
    not part of a learning-rate schedule and is left out.

    Args:
        max_learning_rate: Float > 0, the peak rate.
        total_steps: Integer >= 2, the length of the cycle.
        pct_start: Float in (0, 1), fraction of the cycle spent rising.
        div_factor: Float > 0, ``initial = max / div_factor``.
        final_div_factor: Float > 0, ``min = initial / final_div_factor``.
        anneal_strategy: ``"cos"`` or ``"linear"``.
        three_phase: Bool, PyTorch's three-phase variant.

    Example:

    >>> from kerasreg.schedules import OneCycle
    >>> schedule = OneCycle(0.1, total_steps=100)
    >>> [round(float(schedule(s)), 5) for s in (0, 29, 99)]
    [0.004, 0.1, 0.0]

    Reference:
        Smith & Topin, "Super-Convergence: Very Fast Training of Neural
        Networks Using Large Learning Rates", 2018 (arXiv:1708.07120).
    """

    def __init__(
        self,
        max_learning_rate,
        total_steps,
        pct_start=0.3,
        div_factor=25.0,
        final_div_factor=1e4,
        anneal_strategy="cos",
        three_phase=False,
    ):
        self.max_learning_rate = check_finite_float("max_learning_rate", max_learning_rate, positive=True)
        self.total_steps = check_positive_int("total_steps", total_steps)
        self.pct_start = check_finite_float("pct_start", pct_start)
        if not 0.0 < self.pct_start < 1.0:
            raise ValueError(
                "Invalid value received for argument `pct_start`. Expected a float "
                f"in (0, 1). Received: pct_start={pct_start!r}"
            )
        self.div_factor = check_finite_float("div_factor", div_factor, positive=True)
        self.final_div_factor = check_finite_float("final_div_factor", final_div_factor, positive=True)
        self.anneal_strategy = check_choice("anneal_strategy", anneal_strategy, ANNEAL_STRATEGIES)
        self.three_phase = check_bool("three_phase", three_phase)
        self.phases = one_cycle_phases(
            self.max_learning_rate,
            self.total_steps,
            self.pct_start,
            self.div_factor,
            self.final_div_factor,
            self.three_phase,
        )
        # Every phase needs at least one step, or PyTorch's pct divides by zero.
        start = 0.0
        for end, _, _ in self.phases:
            if not end > start:
                raise ValueError(
                    "Invalid value received for argument `total_steps`. Expected "
                    "enough steps for every phase to last at least one step with "
                    f"pct_start={self.pct_start}. Received: total_steps={total_steps!r}"
                )
            start = end

    def _anneal(self, start_lr, end_lr, step, start, end):
        # pct and 1 - pct from step counts, each with a single rounding.
        pct = (step - start) / (end - start)
        remaining = (end - step) / (end - start)
        if self.anneal_strategy == "linear":
            return start_lr * remaining + end_lr * pct
        # (1 + cos(pi * pct)) / 2 == cos(pi*pct/2)**2 == 1 - sin(pi*pct/2)**2.
        # Anchoring on the nearer end avoids the cancellation that would cost
        # the small rates at the ends of a phase their float32 precision.
        from_start = start_lr + (end_lr - start_lr) * ops.square(ops.sin(pct * (math.pi / 2)))
        from_end = end_lr + (start_lr - end_lr) * ops.square(ops.sin(remaining * (math.pi / 2)))
        return ops.where(pct < 0.5, from_start, from_end)

    def __call__(self, step):
        # Past the last phase's end the rate holds at its final value: the
        # anneal formulas extrapolated beyond pct = 1 overshoot (below zero
        # for a linear anneal).
        step = ops.minimum(float_step(step), float(self.phases[-1][0]))
        starts = [0.0] + [end for end, _, _ in self.phases[:-1]]
        lr = None
        # From the last phase back: an earlier phase takes over where the step
        # is within its end.
        for start, (end, start_lr, end_lr) in reversed(list(zip(starts, self.phases))):
            value = self._anneal(start_lr, end_lr, step, start, end)
            lr = value if lr is None else ops.where(step <= end, value, lr)
        return lr

    def get_config(self):
        return {
            "max_learning_rate": self.max_learning_rate,
            "total_steps": self.total_steps,
            "pct_start": self.pct_start,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
            "anneal_strategy": self.anneal_strategy,
            "three_phase": self.three_phase,
        }
