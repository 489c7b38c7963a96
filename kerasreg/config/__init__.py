"""kerasreg.config: typed experiment configs, loaded from TOML and overridden from the CLI."""

from kerasreg.config.errors import ConfigError
from kerasreg.config.loading import build, parse_assignment, read_toml, resolve, to_dict, to_json
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
    "parse_assignment",
    "read_toml",
    "resolve",
    "to_dict",
    "to_json",
]
