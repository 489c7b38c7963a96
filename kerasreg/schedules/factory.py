"""`create_schedule`: one factory from a small config to a schedule.

Epochs become steps here and nowhere else: each step-count argument
(``decay_steps``, ``first_decay_steps``, ``step_size``, ``total_steps``,
``warmup_steps``) may be given in epochs instead (``decay_epochs``,
``first_decay_epochs``, ``step_size_epochs``, ``total_epochs``,
``warmup_epochs``) and is converted with ``round(epochs * steps_per_epoch)``.
"""

import keras

from kerasreg.config.schedule_arguments import (  # noqa: F401 - re-exported: the factory's public names
    ARGUMENTS,
    EPOCH_ALIASES,
    EXAMPLES,
    STEP_ARGUMENTS,
    WARMUP_ARGUMENTS,
    WARMUP_PREFIX,
    check_schedule,
    schedule_names,
    to_steps,
    with_run_length,
)
from kerasreg.schedules.constant import Constant
from kerasreg.schedules.cyclical import CyclicalLearningRate
from kerasreg.schedules.one_cycle import OneCycle
from kerasreg.schedules.warmup import WarmUp
from kerasreg.validation import check_positive_int

_KERAS = keras.optimizers.schedules

# name -> the builder of its checked arguments (defaults filled in from `ARGUMENTS`).
BUILDERS = {
    "constant": lambda a: Constant(a["learning_rate"]),
    "step": lambda a: _KERAS.ExponentialDecay(a["learning_rate"], a["decay_steps"], a["decay_rate"], staircase=True),
    "exponential": lambda a: _KERAS.ExponentialDecay(a["learning_rate"], a["decay_steps"], a["decay_rate"]),
    "cosine": lambda a: _KERAS.CosineDecay(a["learning_rate"], a["decay_steps"], alpha=a["alpha"]),
    # Keras's PolynomialDecay at power 1: a straight line to end_learning_rate
    # (with warmup: airbench94's triangle).
    "linear": lambda a: _KERAS.PolynomialDecay(a["learning_rate"], a["decay_steps"], a["end_learning_rate"],
                                               power=1.0),
    "cosine_restarts": lambda a: _KERAS.CosineDecayRestarts(
        a["learning_rate"], a["first_decay_steps"], t_mul=a["t_mul"], m_mul=a["m_mul"], alpha=a["alpha"]
    ),
    "cyclical": lambda a: CyclicalLearningRate(
        a["base_learning_rate"], a["max_learning_rate"], a["step_size"], a["mode"], a["gamma"]
    ),
    "one_cycle": lambda a: OneCycle(
        a["max_learning_rate"], a["total_steps"], a["pct_start"], a["div_factor"], a["final_div_factor"],
        a["anneal_strategy"], a["three_phase"],
    ),
}
# name -> (builder, {argument: default}).
SCHEDULES = {name: (BUILDERS[name], ARGUMENTS[name]) for name in ARGUMENTS}


def create_schedule(config, steps_per_epoch):
    """Builds a schedule from a config such as ``{"name": "warmup_cosine", ...}``.

    Names and their arguments (defaults in brackets; step counts may be given
    in epochs — ``decay_epochs``, ``step_size_epochs``, ``warmup_epochs``, ...
    — converted with ``steps_per_epoch``):

    - ``constant``: learning_rate
    - ``step``: learning_rate, decay_steps, decay_rate [0.1] — Keras
      `ExponentialDecay(staircase=True)`: multiplied by decay_rate every
      decay_steps.
    - ``exponential``: the same without staircase.
    - ``cosine``: learning_rate, decay_steps, alpha [0] — Keras `CosineDecay`.
    - ``cosine_restarts``: learning_rate, first_decay_steps, t_mul [2],
      m_mul [1], alpha [0] — Keras `CosineDecayRestarts` (SGDR).
    - ``cyclical``: base_learning_rate, max_learning_rate, step_size,
      mode [triangular], gamma [1] — `CyclicalLearningRate`.
    - ``one_cycle``: max_learning_rate, total_steps, pct_start [0.3],
      div_factor [25], final_div_factor [1e4], anneal_strategy [cos],
      three_phase [False] — `OneCycle`.
    - ``warmup_<name>``: any name above behind a `WarmUp`, plus
      warmup_steps, warmup_mode [linear], warmup_initial_learning_rate [0].
      The wrapped schedule starts after the warmup (``shift=True``).

    An unknown name raises ``ValueError`` naming it; otherwise every
    unknown, missing or conflicting argument is named in one ``ValueError``
    line, with a ``--set schedule.KEY=VALUE`` example for each value to give.

    Args:
        config: Mapping with ``name`` and the arguments above.
        steps_per_epoch: Integer >= 1, training steps per epoch.

    Returns:
        A `keras.optimizers.schedules.LearningRateSchedule`.

    Example:

    >>> from kerasreg.schedules import create_schedule
    >>> schedule = create_schedule(
    ...     {"name": "warmup_cosine", "learning_rate": 0.1,
    ...      "decay_epochs": 10, "warmup_epochs": 1}, steps_per_epoch=100)
    >>> type(schedule).__name__, schedule.warmup_steps, schedule.schedule.decay_steps
    ('WarmUp', 100, 1000)
    """
    steps_per_epoch = check_positive_int("steps_per_epoch", steps_per_epoch)
    check_schedule(config)
    name = config["name"]
    base_name = name[len(WARMUP_PREFIX):] if str(name).startswith(WARMUP_PREFIX) else name
    given = {k: v for k, v in config.items() if k != "name"}
    arguments = to_steps(given, steps_per_epoch)
    builder, allowed = SCHEDULES[base_name]
    if base_name == name:
        return builder({**allowed, **arguments})
    warmup = {**WARMUP_ARGUMENTS, **{k: v for k, v in arguments.items() if k in WARMUP_ARGUMENTS}}
    inner = {**allowed, **{k: v for k, v in arguments.items() if k not in WARMUP_ARGUMENTS}}
    return WarmUp(
        builder(inner),
        warmup_steps=warmup["warmup_steps"],
        initial_learning_rate=warmup["warmup_initial_learning_rate"],
        mode=warmup["warmup_mode"],
    )
