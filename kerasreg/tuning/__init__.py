"""kerasreg.tuning: KerasTuner searches over a recipe's config, spaces in TOML.

``python -m kerasreg tune --space recipes/<name>-tune.toml
--tuner {random,grid,bayesian,hyperband} --max-trials N`` runs one; see
`load_space` for the file format and `run_search` for what a search writes.
KerasTuner itself is imported only when a search runs.
"""

from kerasreg.lazy import lazy_attributes

# Loaded on first use (`kerasreg.lazy`): a command line parses a space file
# before it loads TensorFlow and KerasTuner.
_LOCATIONS = {
    "Hyperparameter": "kerasreg.tuning.space",
    "load_space": "kerasreg.tuning.space",
    "MedianStopping": "kerasreg.tuning.search",
    "OBJECTIVE": "kerasreg.tuning.search",
    "parse_space": "kerasreg.tuning.space",
    "run_search": "kerasreg.tuning.search",
    "search_dir": "kerasreg.tuning.search",
    "SearchSpace": "kerasreg.tuning.space",
    "SearchStopped": "kerasreg.tuning.search",
    "space_from_dict": "kerasreg.tuning.space",
    "task_hypermodel": "kerasreg.tuning.search",
    "top_table": "kerasreg.tuning.search",
    "train_command": "kerasreg.tuning.search",
    "TUNERS": "kerasreg.tuning.tuners",
}

__all__ = [
    "OBJECTIVE",
    "TUNERS",
    "Hyperparameter",
    "MedianStopping",
    "SearchSpace",
    "SearchStopped",
    "load_space",
    "parse_space",
    "task_hypermodel",
    "run_search",
    "search_dir",
    "space_from_dict",
    "top_table",
    "train_command",
]

__getattr__, __dir__ = lazy_attributes(__name__, _LOCATIONS)
