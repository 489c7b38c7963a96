"""The config of one run of a comparison: the base, the variant's values and the seed."""

from kerasreg.config import ConfigError, to_dict, with_values
from kerasreg.schedules import create_optimizer, create_schedule, with_run_length


def variant_config(base, variant, seed):
    """The config of one run: ``base`` with the variant's values and ``seed``, schedule spanning the run."""
    config = with_values(base, {**variant.values, "training.seed": seed}, origin=f"variant '{variant.name}'")
    try:
        config.schedule = with_run_length(config.schedule, config.training.epochs)
        # Their factories check schedule and optimizer tables: fail before the first run, not at the tenth.
        create_optimizer(config.optimizer, create_schedule(config.schedule, steps_per_epoch=100))
    except ValueError as error:
        raise ConfigError(f"variant '{variant.name}': {str(error).splitlines()[0]}") from None
    return config


def flat_config(config):
    """The run's whole config as TensorBoard HParams: ``{"section.key": value}``."""
    from kerasreg.reporting import flat_hparams

    return flat_hparams(to_dict(config))
