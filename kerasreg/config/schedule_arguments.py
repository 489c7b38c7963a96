"""The ``schedule`` table of a config: each schedule's arguments, and its length from the run's.

Plain data and checks, no Keras: a command line checks a schedule (and
gives it the run's length) before it loads TensorFlow;
`kerasreg.schedules.create_schedule` builds the schedule from the checked
table.
"""

# name -> {argument: default}; `None` marks a required argument. Step counts may
# also be given in epochs (`EPOCH_ALIASES`); `warmup_<name>` adds `WARMUP_ARGUMENTS`.
ARGUMENTS = {
    "constant": {"learning_rate": None},
    "step": {"learning_rate": None, "decay_steps": None, "decay_rate": 0.1},
    "exponential": {"learning_rate": None, "decay_steps": None, "decay_rate": 0.1},
    "cosine": {"learning_rate": None, "decay_steps": None, "alpha": 0.0},
    "linear": {"learning_rate": None, "decay_steps": None, "end_learning_rate": 0.0},
    "cosine_restarts": {"learning_rate": None, "first_decay_steps": None, "t_mul": 2.0, "m_mul": 1.0, "alpha": 0.0},
    "cyclical": {"base_learning_rate": None, "max_learning_rate": None, "step_size": None, "mode": "triangular",
                 "gamma": 1.0},
    "one_cycle": {"max_learning_rate": None, "total_steps": None, "pct_start": 0.3, "div_factor": 25.0,
                  "final_div_factor": 1e4, "anneal_strategy": "cos", "three_phase": False},
}

WARMUP_PREFIX = "warmup_"
WARMUP_ARGUMENTS = {"warmup_steps": None, "warmup_mode": "linear", "warmup_initial_learning_rate": 0.0}


STEP_ARGUMENTS = ("decay_steps", "first_decay_steps", "step_size", "total_steps", "warmup_steps")


def epoch_alias(argument):
    """``decay_steps`` -> ``decay_epochs``; ``step_size`` -> ``step_size_epochs``."""
    stem = argument[: -len("_steps")] if argument.endswith("_steps") else argument
    return stem + "_epochs"


EPOCH_ALIASES = {epoch_alias(a): a for a in STEP_ARGUMENTS}


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
    bad_warmup = False  # named by `argument_problems`
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
        if base_name in ARGUMENTS:
            more, more_examples = argument_problems({k: v for k, v in config.items() if k != "name"},
                                                     allowed_arguments(name), filled=filled)  # fmt: skip
            problems, examples = problems + more, examples + more_examples
        raise invalid_schedule(name, problems, examples)
    return config


def schedule_names():
    """Every name `create_schedule` accepts."""
    return sorted(ARGUMENTS) + sorted(WARMUP_PREFIX + name for name in ARGUMENTS)


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


def allowed_arguments(name):
    """``{argument: default}`` of schedule ``name`` (a known name), warmup arguments included."""
    base_name = name[len(WARMUP_PREFIX):] if name.startswith(WARMUP_PREFIX) else name
    allowed = ARGUMENTS[base_name]
    return {**allowed, **WARMUP_ARGUMENTS} if base_name != name else dict(allowed)


def argument_problems(given, allowed, filled=()):
    """``(problems, examples)``: every unknown, conflicting, bad-epoch and missing argument of ``given``.

    ``given`` holds the arguments as written (step counts in steps or
    epochs); ``filled``: required arguments that the run's length gives
    (`with_run_length`), so not missing.
    """
    step_arguments = [k for k in allowed if k in STEP_ARGUMENTS]
    accepted = sorted({*allowed, *(epoch_alias(k) for k in step_arguments)})
    listed = sorted({*accepted, "warmup_fraction"}) if "warmup_steps" in allowed else accepted
    problems, examples = [], []
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        problems.append(f"unknown {', '.join(f'`{k}`' for k in unknown)} (allowed: {', '.join(listed)})")
    for steps_key in step_arguments:
        epochs_key = epoch_alias(steps_key)
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
               if default is None and k not in filled and k not in given and epoch_alias(k) not in given]  # fmt: skip
    if missing:
        names = [f"`{k}` (or `{epoch_alias(k)}`)" if k in STEP_ARGUMENTS else f"`{k}`" for k in missing]
        problems.append(f"missing {', '.join(names)}")
        examples += [EXAMPLES[k] for k in missing]
    return problems, examples


def invalid_schedule(name, problems, examples):
    """One ``ValueError`` line naming every problem of schedule ``name``, with a ``--set`` example."""
    hint = f"; e.g. {' '.join(f'--set schedule.{e}' for e in examples)}" if examples else ""
    return ValueError(f"Invalid config for schedule '{name}': {'; '.join(problems)}{hint}")


def to_steps(arguments, steps_per_epoch):
    """``arguments`` (checked) with every epoch-count argument replaced by its step count (the one conversion)."""
    return {EPOCH_ALIASES.get(k, k): max(1, round(v * steps_per_epoch)) if k in EPOCH_ALIASES else v
            for k, v in arguments.items()}  # fmt: skip


def check_schedule(config):
    """Checks a schedule config's name and arguments (what `create_schedule` builds from); `ValueError` if bad.

    Every unknown, missing or conflicting argument is named in one line,
    with a ``--set schedule.KEY=VALUE`` example for each value to give.
    """
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
    if base_name not in ARGUMENTS:
        raise ValueError(
            "Invalid value received for schedule `name`. Expected one of "
            f"{', '.join(schedule_names())}. Received: name={name!r}"
        )
    problems, examples = argument_problems({k: v for k, v in config.items() if k != "name"}, allowed_arguments(name))
    if problems:
        raise invalid_schedule(name, problems, examples)
