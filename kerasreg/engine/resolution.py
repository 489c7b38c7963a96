"""`resolve_config`: a task's defaults -> preset -> TOML file -> ``section.key`` overrides -> direct values.

A library call: the CLI translates its flags into these arguments, and
Python code passes them directly.

Which preset a run starts from:

- ``preset`` given (``--preset``): that one, whatever the file says;
- else a config file with a top-level ``preset = "cpu"``: that one;
- else a config file without one: no preset, the task's own defaults
  (the file says everything it changes);
- else, no file: ``gpu`` when TensorFlow sees a GPU, else ``cpu``, where
  the task has those presets (`default_preset`).
"""

import os

from kerasreg.config import ConfigError, read_toml, resolve, with_values
from kerasreg.config.schedule_arguments import check_schedule, with_run_length
from kerasreg.config.sections import DATA_SOURCE_NAMES
from kerasreg.engine.hardware import gpu_driver_present, resolve_auto_precision
from kerasreg.engine.presets import preset_values


def default_preset(task, log=print):
    """``gpu`` when TensorFlow sees a GPU, else ``cpu``, when the task has those presets; else None.

    Without a GPU driver (no ``/dev/nvidia*``, ``/dev/dxg`` or ``/dev/kfd``)
    TensorFlow cannot see a GPU, and is not loaded to ask.
    """
    if "cpu" not in task.presets and "gpu" not in task.presets:
        return None
    gpus = []
    if gpu_driver_present():
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
    preset = "gpu" if gpus else "cpu"
    if preset not in task.presets:
        return None
    why = f"TensorFlow sees {len(gpus)} GPU(s)" if gpus else "no GPU is visible"
    log(f"preset: {preset} ({why}; choose with --preset)")
    return preset


def resolve_config(task, *, preset=None, config_file=None, overrides=(), values=None, flags=None, log=print,
                   derive_schedule=True, choose_preset=True, resolve_precision=True):  # fmt: skip
    """The resolved `ExperimentConfig` of a run of ``task``.

    A data source that is an existing local file or folder is recorded as
    an absolute path, so the run's ``config.json`` still finds it from
    another working directory (``evaluate``, ``--resume``); source names
    (``synthetic``, ``cifar10``, ...) stay as they are.

    Args:
        task: A `Task` (or `kerasreg.Experiment`).
        preset: A name of ``task.presets``; it wins over the config file's
            own ``preset``. None: the file's ``preset``; with no file,
            ``cpu``/``gpu`` when the task has them (``choose_preset=False``:
            none); a file without ``preset`` starts from the task's defaults.
        config_file: Path of a TOML experiment file (``[section]`` tables
            and an optional top-level ``preset = "name"``), or None.
        overrides: ``"section.key=value"`` strings (TOML values).
        values: ``{"section.key": value}`` set after the overrides.
        flags: ``{"section.key": value}`` set last; None values are skipped.
        derive_schedule: Give the schedule its run length and check it (a
            search does so per trial instead, after the trial's own values).
        resolve_precision: Replace ``mixed_precision = "auto"`` by this
            machine's choice. False: resolution loads no TensorFlow (the
            command line's first, checking step).

    Raises:
        ConfigError: one line naming the bad preset, file, key or value.
    """
    toml = dict(read_toml(config_file)) if config_file else None
    file_preset = _file_preset(task, toml, config_file) if toml is not None else None
    if preset is None:
        if file_preset is not None:
            preset = file_preset
            log(f"preset: {preset} (named by {config_file}; --preset wins)")
        elif config_file is None and choose_preset:
            preset = default_preset(task, log)
        elif config_file is not None and task.presets:
            log(f"preset: none ({config_file} names no preset: the experiment's defaults; "
                "choose with preset = \"NAME\" in the file or --preset)")  # fmt: skip
    elif file_preset is not None and file_preset != preset:
        log(f"preset: {preset} (given; it wins over the preset {file_preset!r} of {config_file})")
    config = task.default_config()
    if preset is not None:
        _check_preset(task, preset)
        # A preset naming another schedule or optimizer replaces that table (`with_values`).
        config = with_values(config, preset_values(task.presets, preset, log=log), origin=f"preset '{preset}'")
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
    if not task.fixed_data:  # the recorded path must work from any folder (evaluate, --resume)
        config.data.source = absolute_source(config.data.source)
    # Derived values belong in the recorded config: the schedule spans the
    # run, and "auto" precision is what this machine chose.
    if derive_schedule:
        try:
            config.schedule = with_run_length(config.schedule, config.training.epochs)
            check_schedule(config.schedule)
        except ValueError as error:
            raise ConfigError(str(error).splitlines()[0]) from None
    if resolve_precision:
        resolve_auto_precision(config, log)
    return config


def _check_preset(task, preset, where=""):
    if preset not in task.presets:
        raise ConfigError(f"unknown preset {preset!r} of {task.name!r}{where}; presets: "
                          f"{', '.join(sorted(task.presets)) or 'none'}")  # fmt: skip


def _file_preset(task, toml, config_file):
    """The top-level ``preset`` of an experiment file (taken out of ``toml``), or None; checked."""
    preset = toml.pop("preset", None)
    if preset is None:
        return None
    if not isinstance(preset, str):
        raise ConfigError(f"preset in {config_file} must be a preset name (a string); got {preset!r}")
    _check_preset(task, preset, f" in {config_file}")
    return preset


def absolute_source(source):
    """``source`` as an absolute path when it names an existing local file or folder, else unchanged.

    Source names win over paths (as `kerasreg.data.load_dataset` reads
    them): ``synthetic`` stays a name even where a folder of that name exists.
    """
    if not isinstance(source, str) or not source.strip():
        return source
    path = os.path.expanduser(source)
    if not os.path.exists(path):
        return source
    return source if source in DATA_SOURCE_NAMES else os.path.abspath(path)
