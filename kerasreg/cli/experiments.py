"""Finding a user's `Experiment`: ``MODULE:NAME`` or ``path/to/file.py:NAME``, and the one a run recorded."""

import importlib
import importlib.util
import os
import sys

from kerasreg.engine.run_files import RUN_FILE, read_json
from kerasreg.engine.task import Task


class ExperimentNotFound(Exception):
    """``--experiment`` names nothing importable, or not an experiment: one line, exit code 2."""


def load_experiment(reference):
    """The `Experiment` that ``reference`` (``"module:NAME"`` or ``"file.py:NAME"``) names.

    The reference is recorded in the experiment (``reference``) and so in
    each of its runs, which is how ``evaluate RUN_DIR`` finds it later.
    """
    module_name, sep, attribute = str(reference).rpartition(":")
    if not sep or not module_name or not attribute:
        raise ExperimentNotFound(f"--experiment expects MODULE:NAME or FILE.py:NAME; got {reference!r}")
    try:
        if module_name.endswith(".py"):
            module = _module_from_file(module_name)
        else:
            if "" not in sys.path and os.getcwd() not in sys.path:
                sys.path.insert(0, os.getcwd())  # as `python -m` does: the user's modules in the working folder
            module = importlib.import_module(module_name)
    except (ImportError, FileNotFoundError) as error:
        raise ExperimentNotFound(f"--experiment {reference}: cannot import {module_name} ({error})") from None
    experiment = getattr(module, attribute, None)
    if experiment is None:
        raise ExperimentNotFound(f"--experiment {reference}: {module_name} has no attribute {attribute!r}")
    if not isinstance(experiment, Task):
        raise ExperimentNotFound(f"--experiment {reference}: {attribute} is a {type(experiment).__name__}, "
                                 "not a kerasreg.Experiment")  # fmt: skip
    experiment.reference = experiment.reference or reference
    return experiment


def _module_from_file(path):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no file {path}")
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def recorded_reference(run_dir):
    """The ``MODULE:NAME`` of the experiment that made ``run_dir`` (its ``run.json``), or None."""
    return (read_json(os.path.join(run_dir, RUN_FILE)) or {}).get("reference")


def experiment_of_run(run_dir):
    """The experiment that made ``run_dir``, from its ``run.json``."""
    record = read_json(os.path.join(run_dir, RUN_FILE))
    if record is None:
        if not os.path.isfile(os.path.join(run_dir, "config.json")):
            raise ExperimentNotFound(f"{run_dir} is not a kerasreg run directory (no config.json)")
        raise ExperimentNotFound(f"{run_dir} does not record its experiment (no {RUN_FILE}); "
                                 "name it with --experiment MODULE:NAME")  # fmt: skip
    reference = record.get("reference")
    if not reference:
        raise ExperimentNotFound(f"{run_dir} was made by experiment {record.get('experiment')!r} from a script, "
                                 "which cannot be imported; name it with --experiment MODULE:NAME")  # fmt: skip
    return load_experiment(reference)
