"""kerasreg.cli: the command line, a thin translation of flags into `kerasreg.Experiment` and engine calls.

``python -m kerasreg COMMAND --experiment MODULE:NAME`` runs any
experiment; a recipe module (``python -m kerasreg.recipes.cifar``) or a
user's own script (``kerasreg.cli.main(EXPERIMENT)``) runs the same
commands with its experiment built in.
"""

from kerasreg.cli.experiments import ExperimentNotFound, experiment_of_run, load_experiment
from kerasreg.cli.commands import COMMANDS, EXIT_BAD_INPUT, build_parser, main, program_name, resolve_args

__all__ = [
    "COMMANDS",
    "EXIT_BAD_INPUT",
    "ExperimentNotFound",
    "build_parser",
    "experiment_of_run",
    "load_experiment",
    "main",
    "program_name",
    "resolve_args",
]
