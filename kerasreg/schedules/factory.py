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

    Example:

    >>> with_run_length({"name": "warmup_cosine", "learning_rate": 0.1, "warmup_epochs": 2}, 30)
    {'name': 'warmup_cosine', 'learning_rate': 0.1, 'warmup_epochs': 2, 'decay_epochs': 28}
    >>> with_run_length({"name": "warmup_linear", "learning_rate": 0.1, "warmup_fraction": 0.25}, 8)
    {'name': 'warmup_linear', 'learning_rate': 0.1, 'warmup_epochs': 2.0, 'decay_epochs': 6.0}
    """
    name = str(config.get("name", ""))
    config = dict(config)
    if name.startswith(WARMUP_PREFIX) and "warmup_fraction" in config:
        fraction = config.pop("warmup_fraction")
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 <= fraction < 1:
            raise ValueError(
                "Invalid value received for schedule argument `warmup_fraction`. Expected a number in "
                f"[0, 1). Received: warmup_fraction={fraction!r}"
            )
        if "warmup_epochs" in config or "warmup_steps" in config:
            raise ValueError(
                "Invalid schedule config: give `warmup_fraction` or `warmup_epochs`/`warmup_steps`, not both. "
                f"Received: warmup_fraction={fraction!r}"
            )
        config["warmup_epochs"] = fraction * epochs
    stem = RUN_LENGTH.get(name[len(WARMUP_PREFIX):] if name.startswith(WARMUP_PREFIX) else name)
    if stem is None or f"{stem}_epochs" in config or f"{stem}_steps" in config:
        return config
    warmup = config.get("warmup_epochs", 0) if name.startswith(WARMUP_PREFIX) else 0
    if isinstance(warmup, bool) or not isinstance(warmup, (int, float)) or warmup < 0:
        return config  # create_schedule reports the bad warmup
    if warmup >= epochs:
        # Otherwise the missing length would be blamed on `{stem}_steps`.
        raise ValueError(
            f"Invalid schedule config: warmup_epochs={warmup!r} leaves none of the {epochs}-epoch run for "
            f"{name[len(WARMUP_PREFIX):]}; give a warmup shorter than the run "
            f"(e.g. --set schedule.warmup_epochs={epochs / 4:g}) or more epochs"
        )
    return {**config, f"{stem}_epochs": epochs - warmup}


def schedule_names():
    """Every name `create_schedule` accepts."""
    return sorted(SCHEDULES) + sorted(WARMUP_PREFIX + name for name in SCHEDULES)


def _to_steps(config, steps_per_epoch):
    """Config with every epoch-count argument replaced by its step count (the one conversion)."""
    resolved = {}
    for key, value in config.items():
        if key not in EPOCH_ALIASES:
            resolved[key] = value
            continue
        steps_key = EPOCH_ALIASES[key]
        if steps_key in config:
            raise ValueError(
                f"Invalid schedule config: give `{key}` or `{steps_key}`, not both. "
                f"Received: {key}={value!r}, {steps_key}={config[steps_key]!r}"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(
                f"Invalid value received for schedule argument `{key}`. Expected a "
                f"number > 0. Received: {key}={value!r}"
            )
        resolved[steps_key] = max(1, round(value * steps_per_epoch))
    return resolved


def _arguments(name, given, allowed):
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        names = sorted(allowed) + sorted(_epoch_alias(k) for k in allowed if k in STEP_ARGUMENTS)
        raise ValueError(
            f"Unknown argument for schedule '{name}': {unknown[0]}. Allowed: "
            f"{', '.join(names)}. Received: {unknown[0]}={given[unknown[0]]!r}"
        )
    missing = [k for k, default in allowed.items() if default is None and k not in given]
    if missing:
        alias = f" (or `{_epoch_alias(missing[0])}`)" if missing[0] in STEP_ARGUMENTS else ""
        raise ValueError(f"Schedule '{name}' needs argument `{missing[0]}`{alias}.")
    return {**allowed, **given}


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

    Unknown names and arguments raise ``ValueError`` naming them.

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
    if "warmup_fraction" in config:
        raise ValueError(
            "Schedule argument `warmup_fraction` needs the run's length: pass the config through "
            f"`with_run_length(config, epochs)` first. Received: warmup_fraction={config['warmup_fraction']!r}"
        )
    arguments = _to_steps({k: v for k, v in config.items() if k != "name"}, steps_per_epoch)
    name = config["name"]
    base_name = name[len(WARMUP_PREFIX):] if str(name).startswith(WARMUP_PREFIX) else name
    if base_name not in SCHEDULES:
        raise ValueError(
            "Invalid value received for schedule `name`. Expected one of "
            f"{', '.join(schedule_names())}. Received: name={name!r}"
        )
    builder, allowed = SCHEDULES[base_name]
    if base_name == name:
        return builder(_arguments(name, arguments, allowed))
    warmup = {k: v for k, v in arguments.items() if k in WARMUP_ARGUMENTS}
    inner = {k: v for k, v in arguments.items() if k not in WARMUP_ARGUMENTS}
    warmup = _arguments(name, warmup, WARMUP_ARGUMENTS)
    return WarmUp(
        builder(_arguments(name, inner, allowed)),
        warmup_steps=warmup["warmup_steps"],
        initial_learning_rate=warmup["warmup_initial_learning_rate"],
        mode=warmup["warmup_mode"],
    )
