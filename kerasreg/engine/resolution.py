"""`resolve_config`: a task's defaults -> preset -> TOML file -> ``section.key`` overrides -> direct values.

A library call: the CLI translates its flags into these arguments, and
Python code passes them directly.
"""

from kerasreg.config import ConfigError, read_toml, resolve, with_values
from kerasreg.engine.hardware import resolve_auto_precision
from kerasreg.schedules import with_run_length


def default_preset(task, log=print):
    """``gpu`` when TensorFlow sees a GPU, else ``cpu``, when the task has those presets; else None."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    preset = "gpu" if gpus else "cpu"
    if preset not in task.presets:
        return None
    why = f"TensorFlow sees {len(gpus)} GPU(s)" if gpus else "TensorFlow sees no GPU"
    log(f"preset: {preset} ({why}; choose with --preset)")
    return preset


def resolve_config(task, *, preset=None, config_file=None, overrides=(), values=None, flags=None, log=print,
                   derive_schedule=True, choose_preset=True):  # fmt: skip
    """The resolved `ExperimentConfig` of a run of ``task``.

    Args:
        task: A `Task` (or `kerasreg.Experiment`).
        preset: A name of ``task.presets``; None picks ``cpu``/``gpu`` when
            the task has them (``choose_preset=False``: none).
        config_file: Path of a TOML experiment file, or None.
        overrides: ``"section.key=value"`` strings (TOML values).
        values: ``{"section.key": value}`` set after the overrides.
        flags: ``{"section.key": value}`` set last; None values are skipped.
        derive_schedule: Give the schedule its run length (a search sets it
            per trial instead, after the trial's own values).

    Raises:
        ConfigError: one line naming the bad preset, file, key or value.
    """
    if preset is None and choose_preset:
        preset = default_preset(task, log)
    config = task.default_config()
    if preset is not None:
        if preset not in task.presets:
            raise ConfigError(f"unknown preset {preset!r} of {task.name!r}; presets: "
                              f"{', '.join(sorted(task.presets)) or 'none'}")  # fmt: skip
        # A preset naming another schedule or optimizer replaces that table (`with_values`).
        config = with_values(config, task.presets[preset], origin=f"preset '{preset}'")
    toml = read_toml(config_file) if config_file else None
    # One validation after the file, --set and the flags: "--set training.swa_epochs=2 --epochs 4"
    # is valid even though the preset's epochs alone would not allow it.
    if values:
        config = resolve(config, toml=toml, toml_origin=config_file or "the config file", overrides=list(overrides))
        config = with_values(config, dict(values), origin="the given values")
        if flags:
            config = resolve(config, flags=flags)
    else:
        config = resolve(config, toml=toml, toml_origin=config_file or "the config file", overrides=list(overrides),
                         flags=flags)  # fmt: skip
    # Derived values belong in the recorded config: the schedule spans the
    # run, and "auto" precision is what this machine chose.
    if derive_schedule:
        try:
            config.schedule = with_run_length(config.schedule, config.training.epochs)
        except ValueError as error:
            raise ConfigError(str(error).splitlines()[0]) from None
    resolve_auto_precision(config, log)
    return config
