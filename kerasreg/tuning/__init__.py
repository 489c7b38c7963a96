"""kerasreg.tuning: KerasTuner searches over a recipe's config, spaces in TOML.

``python -m kerasreg tune --space recipes/<name>-tune.toml
--tuner {random,grid,bayesian,hyperband} --max-trials N`` runs one; see
`load_space` for the file format and `run_search` for what a search writes.
KerasTuner itself is imported only when a search runs.
"""

from kerasreg.tuning.search import (
    OBJECTIVE,
    TUNERS,
    MedianStopping,
    SearchStopped,
    task_hypermodel,
    run_search,
    search_dir,
    top_table,
    train_command,
)
from kerasreg.tuning.space import Hyperparameter, SearchSpace, load_space, parse_space, space_from_dict

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
