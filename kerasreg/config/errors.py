"""`ConfigError`: a bad experiment config, reported in one line before anything runs."""


class ConfigError(ValueError):
    """A config value, key or file that cannot be used; the message is one line for the user."""
