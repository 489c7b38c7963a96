"""`create_schedule`: one factory from a small config to a schedule.

Epochs become steps here and nowhere else: each step-count argument
(``decay_steps``, ``first_decay_steps``, ``step_size``, ``total_steps``,
``warmup_steps``) may be given in epochs instead (``decay_epochs``,
``first_decay_epochs``, ``step_size_epochs``, ``total_epochs``,
``warmup_epochs``) and is converted with ``round(epochs * steps_per_epoch)``.
"""

import keras

from kerasreg.schedules.constant import Constant
from kerasreg.schedules.cyclical import CyclicalLearningRate
from kerasreg.schedules.one_cycle import OneCycle
from kerasreg.schedules.warmup import WarmUp
from kerasreg.validation import check_positive_int

_KERAS = keras.optimizers.schedules

# name -> (builder, {argument: default}); `None` marks a required argument.
SCHEDULES = {
    "constant": (lambda a: Constant(a["learning_rate"]), {"learning_rate": None}),
    "step": (
        lambda a: _KERAS.ExponentialDecay(a["learning_rate"], a["decay_steps"], a["decay_rate"], staircase=True),
        {"learning_rate": None, "decay_steps": None, "decay_rate": 0.1},
    ),
    "exponential": (
        lambda a: _KERAS.ExponentialDecay(a["learning_rate"], a["decay_steps"], a["decay_rate"]),
        {"learning_rate": None, "decay_steps": None, "decay_rate": 0.1},
    ),
    "cosine": (
        lambda a: _KERAS.CosineDecay(a["learning_rate"], a["decay_steps"], alpha=a["alpha"]),
        {"learning_rate": None, "decay_steps": None, "alpha": 0.0},
    ),
    # Keras's PolynomialDecay at power 1: a straight line to end_learning_rate
    # (with warmup: airbench94's triangle).
    "linear": (
        lambda a: _KERAS.PolynomialDecay(a["learning_rate"], a["decay_steps"], a["end_learning_rate"], power=1.0),
        {"learning_rate": None, "decay_steps": None, "end_learning_rate": 0.0},
    ),
    "cosine_restarts": (
        lambda a: _KERAS.CosineDecayRestarts(
            a["learning_rate"], a["first_decay_steps"], t_mul=a["t_mul"], m_mul=a["m_mul"], alpha=a["alpha"]
        ),
        {"learning_rate": None, "first_decay_steps": None, "t_mul": 2.0, "m_mul": 1.0, "alpha": 0.0},
    ),
    "cyclical": (
        lambda a: CyclicalLearningRate(
            a["base_learning_rate"], a["max_learning_rate"], a["step_size"], a["mode"], a["gamma"]
        ),
        {"base_learning_rate": None, "max_learning_rate": None, "step_size": None, "mode": "triangular", "gamma": 1.0},
    ),
    "one_cycle": (
        lambda a: OneCycle(
            a["max_learning_rate"],
            a["total_steps"],
            a["pct_start"],
            a["div_factor"],
            a["final_div_factor"],
            a["anneal_strategy"],
            a["three_phase"],
        ),
        {
            "max_learning_rate": None,
            "total_steps": None,
            "pct_start": 0.3,
            "div_factor": 25.0,
            "final_div_factor": 1e4,
            "anneal_strategy": "cos",
            "three_phase": False,
        },
    ),
}
WARMUP_PREFIX = "warmup_"
WARMUP_ARGUMENTS = {"warmup_steps": None, "warmup_mode": "linear", "warmup_initial_learning_rate": 0.0}


STEP_ARGUMENTS = ("decay_steps", "first_decay_steps", "step_size", "total_steps", "warmup_steps")


def _epoch_alias(argument):
    """``decay_steps`` -> ``decay_epochs``; ``step_size`` -> ``step_size_epochs``."""
    stem = argument[: -len("_steps")] if argument.endswith("_steps") else argument
    return stem + "_epochs"


EPOCH_ALIASES = {_epoch_alias(a): a for a in STEP_ARGUMENTS}


# Schedules whose length is the training run: argument stem of that length.
RUN_LENGTH = {"cosine": "decay", "linear": "decay", "one_cycle": "total"}


def with_run_length(config, epochs):
    """The schedule config with its length filled in from the run, if it has none.

    ``cosine`` and ``linear`` decay and ``one_cycle`` cycles over the whole
    run unless ``decay_*`` / ``total_*`` is given: ``epochs`` minus the
    warmup epochs of a ``warmup_*`` schedule. Other schedules (and explicit
    lengths) are returned unchanged. This is how ``--epochs 5`` still ends
    at the schedule's final rate. A ``warmup_*`` schedule may give its
    warmup as ``warmup_fraction`` (in [0, 1)) of the run instead of
    ``warmup_epochs``; it becomes ``warmup_epochs`` here.

    A bad ``warmup_fraction``, or a warmup that leaves nothing of the run,
    raises ``ValueError`` naming it and every other missing, unknown or
    conflicting argument in one line (`create_schedule` checks the rest).

    Example:

    >>> with_run_length({"name": "warmup_cosine", "learning_rate": 0.1, "warmup_epochs": 2}, 30)
    {'name': 'warmup_cosine', 'learning_rate': 0.1, 'warmup_epochs': 2, 'decay_epochs': 28}
    >>> with_run_length({"name": "warmup_linear", "learning_rate": 0.1, "warmup_fraction": 0.25}, 8)
    {'name': 'warmup_linear', 'learning_rate': 0.1, 'warmup_epochs': 2.0, 'decay_epochs': 6.0}
    """
    name = str(config.get("name", ""))
    config = dict(config)
    warmup_schedule = name.startswith(WARMUP_PREFIX)
    base_name = name[len(WARMUP_PREFIX):] if warmup_schedule else name
    problems, examples = [], []
    filled = set()  # required arguments that the run's length gives
    if warmup_schedule and "warmup_fraction" in config:
        filled.add("warmup_steps")
        fraction = config.pop("warmup_fraction")
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 <= fraction < 1:
            problems.append(f"`warmup_fraction` must be a number in [0, 1) (received warmup_fraction={fraction!r})")
            examples.append("warmup_fraction=0.1")
        elif "warmup_epochs" in config or "warmup_steps" in config:
            problems.append(f"give `warmup_fraction` or `warmup_epochs`/`warmup_steps`, not both "
                            f"(received warmup_fraction={fraction!r})")  # fmt: skip
        else:
            config["warmup_epochs"] = fraction * epochs
    stem = RUN_LENGTH.get(base_name)
    bad_warmup = False  # named by `_argument_problems`
    if stem is not None and f"{stem}_epochs" not in config and f"{stem}_steps" not in config:
        filled.add(f"{stem}_steps")
        warmup = config.get("warmup_epochs", 0) if warmup_schedule else 0
        if isinstance(warmup, bool) or not isinstance(warmup, (int, float)) or warmup < 0:
            bad_warmup = True
        elif warmup >= epochs:
            # Not a missing `{stem}_steps`: the warmup is what leaves no room.
            problems.append(f"warmup_epochs={warmup!r} leaves none of the {epochs}-epoch run for {base_name} "
                            "(give a shorter warmup or more epochs)")  # fmt: skip
            examples.append(f"warmup_epochs={epochs / 4:g}")
        elif not problems:
            config[f"{stem}_epochs"] = epochs - warmup
    if problems or bad_warmup:
        if base_name in SCHEDULES:
            more, more_examples = _argument_problems({k: v for k, v in config.items() if k != "name"},
                                                     _allowed(name), filled=filled)  # fmt: skip
            problems, examples = problems + more, examples + more_examples
        raise _invalid(name, problems, examples)
    return config


def schedule_names():
    """Every name `create_schedule` accepts."""
    return sorted(SCHEDULES) + sorted(WARMUP_PREFIX + name for name in SCHEDULES)


# An example value of each required argument (step counts in epochs), for the `--set` hint of an error.
EXAMPLES = {
    "learning_rate": "learning_rate=0.1",
    "base_learning_rate": "base_learning_rate=0.01",
    "max_learning_rate": "max_learning_rate=0.1",
    "decay_steps": "decay_epochs=10",
    "first_decay_steps": "first_decay_epochs=10",
    "step_size": "step_size_epochs=2",
    "total_steps": "total_epochs=10",
    "warmup_steps": "warmup_epochs=1",
}


def _allowed(name):
    """``{argument: default}`` of schedule ``name`` (a known name), warmup arguments included."""
    base_name = name[len(WARMUP_PREFIX):] if name.startswith(WARMUP_PREFIX) else name
    allowed = SCHEDULES[base_name][1]
    return {**allowed, **WARMUP_ARGUMENTS} if base_name != name else dict(allowed)


def _argument_problems(given, allowed, filled=()):
    """``(problems, examples)``: every unknown, conflicting, bad-epoch and missing argument of ``given``.

    ``given`` holds the arguments as written (step counts in steps or
    epochs); ``filled``: required arguments that the run's length gives
    (`with_run_length`), so not missing.
    """
    step_arguments = [k for k in allowed if k in STEP_ARGUMENTS]
    accepted = sorted({*allowed, *(_epoch_alias(k) for k in step_arguments)})
    listed = sorted({*accepted, "warmup_fraction"}) if "warmup_steps" in allowed else accepted
    problems, examples = [], []
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        problems.append(f"unknown {', '.join(f'`{k}`' for k in unknown)} (allowed: {', '.join(listed)})")
    for steps_key in step_arguments:
        epochs_key = _epoch_alias(steps_key)
        if epochs_key not in given:
            continue
        value = given[epochs_key]
        if steps_key in given:
            problems.append(f"give `{epochs_key}` or `{steps_key}`, not both "
                            f"(received {epochs_key}={value!r}, {steps_key}={given[steps_key]!r})")  # fmt: skip
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            problems.append(f"`{epochs_key}` must be a number > 0 (received {epochs_key}={value!r})")
            examples.append(EXAMPLES[steps_key])
    missing = [k for k, default in allowed.items()
               if default is None and k not in filled and k not in given and _epoch_alias(k) not in given]  # fmt: skip
    if missing:
        names = [f"`{k}` (or `{_epoch_alias(k)}`)" if k in STEP_ARGUMENTS else f"`{k}`" for k in missing]
        problems.append(f"missing {', '.join(names)}")
        examples += [EXAMPLES[k] for k in missing]
    return problems, examples


def _invalid(name, problems, examples):
    """One ``ValueError`` line naming every problem of schedule ``name``, with a ``--set`` example."""
    hint = f"; e.g. {' '.join(f'--set schedule.{e}' for e in examples)}" if examples else ""
    return ValueError(f"Invalid config for schedule '{name}': {'; '.join(problems)}{hint}")


def _to_steps(arguments, steps_per_epoch):
    """``arguments`` (checked) with every epoch-count argument replaced by its step count (the one conversion)."""
    return {EPOCH_ALIASES.get(k, k): max(1, round(v * steps_per_epoch)) if k in EPOCH_ALIASES else v
            for k, v in arguments.items()}  # fmt: skip


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
    if not hasattr(config, "items") or "name" not in config:
        raise ValueError(
            "Invalid value received for argument `config`. Expected a mapping with "
            f"a 'name' key. Received: config={config!r}"
        )
    if "warmup_fraction" in config and str(config["name"]).startswith(WARMUP_PREFIX):
        raise ValueError(
            "Schedule argument `warmup_fraction` needs the run's length: pass the config through "
            f"`with_run_length(config, epochs)` first. Received: warmup_fraction={config['warmup_fraction']!r}"
        )
    name = config["name"]
    base_name = name[len(WARMUP_PREFIX):] if str(name).startswith(WARMUP_PREFIX) else name
    if base_name not in SCHEDULES:
        raise ValueError(
            "Invalid value received for schedule `name`. Expected one of "
            f"{', '.join(schedule_names())}. Received: name={name!r}"
        )
    given = {k: v for k, v in config.items() if k != "name"}
    problems, examples = _argument_problems(given, _allowed(name))
    if problems:
        raise _invalid(name, problems, examples)
    arguments = _to_steps(given, steps_per_epoch)
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
