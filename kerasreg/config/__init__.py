"""kerasreg.config: typed experiment configs, loaded from TOML and overridden from the CLI."""

from kerasreg.config.errors import ConfigError
from kerasreg.config.loading import (
    build,
    key_problem,
    parse_assignment,
    read_toml,
    resolve,
    to_dict,
    to_json,
    with_values,
)
from kerasreg.config.sections import (
    DataConfig,
    ExperimentConfig,
    LoggingConfig,
    ModelConfig,
    TrainingConfig,
)

__all__ = [
    "ConfigError",
    "DataConfig",
    "ExperimentConfig",
    "LoggingConfig",
    "ModelConfig",
    "TrainingConfig",
    "build",
    "key_problem",
    "parse_assignment",
    "read_toml",
    "resolve",
    "to_dict",
    "to_json",
    "with_values",
]
