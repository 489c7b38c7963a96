"""Config resolution: defaults, then a TOML file, then ``--set`` overrides and flags.

Every key is checked against the section dataclasses before anything runs:
an unknown section or key, a value of the wrong type, or a value the
section rejects raises `ConfigError` with a one-line message naming it.
"""

import dataclasses
import json
import sys

from kerasreg.config.errors import ConfigError
from kerasreg.config.sections import ExperimentConfig, ModelConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# Sections that are free-form tables, validated by the factory they feed.
TABLE_SECTIONS = ("optimizer", "schedule")


def to_dict(config):
    """The config as plain nested dicts and lists (JSON- and TOML-friendly)."""
    return dataclasses.asdict(config)


def to_json(config):
    return json.dumps(to_dict(config), indent=2, sort_keys=True)


def read_toml(path):
    """The tables of a TOML file, or `ConfigError` for a missing, unreadable or malformed file."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as error:
        raise ConfigError(f"config file cannot be read: {path} ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file is not valid TOML: {path} ({error})") from None


def parse_assignment(text):
    """``"section.key=value"`` -> ``("section", "key", value)``; the value in TOML syntax, else a string."""
    name, sep, raw = text.partition("=")
    section, dot, key = name.strip().partition(".")
    if not sep or not dot or not section or not key:
        raise ConfigError(f"--set expects section.key=value, got {text!r}")
    raw = raw.strip()
    try:
        value = tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word: cosine, channels_last, a path
    return section, key, value


def _check_type(where, value, default):
    """The value if it fits the default's type (an int is a fine float), else ConfigError."""
    if default is None:  # a free-form model argument whose default is None takes any value
        return value
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if expected is list and isinstance(value, list):
        return list(value)
    if isinstance(value, expected) and not (expected is int and isinstance(value, bool)):
        return value
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string", list: "a list", dict: "a table"}
    raise ConfigError(
        f"{where} expects {names.get(expected, expected.__name__)}, got {value!r} ({type(value).__name__})"
    )


def _apply(values, section, key, value, origin):
    """Sets ``values[section][key] = value`` after checking that both exist and the type fits."""
    defaults = values.get(section)
    if defaults is None:
        raise ConfigError(f"unknown config section '{section}' in {origin}; sections: {', '.join(values)}")
    if section in TABLE_SECTIONS:
        defaults[key] = value
        return
    if key not in defaults:
        raise ConfigError(
            f"unknown config key '{section}.{key}' in {origin}; keys of [{section}]: {', '.join(sorted(defaults))}"
        )
    defaults[key] = _check_type(f"{section}.{key}", value, defaults[key])


def resolve(defaults, *, toml=None, toml_origin="the config file", overrides=(), flags=None):
    """Applies a TOML mapping, then ``--set`` assignments, then flags to ``defaults``.

    Args:
        defaults: The recipe's `ExperimentConfig` (preset applied).
        toml: Mapping read from a TOML file, or None. A ``[optimizer]`` or
            ``[schedule]`` table replaces the default table whole.
        toml_origin: How to name the file in messages.
        overrides: ``"section.key=value"`` strings (``--set``). One that
            names another optimizer or schedule starts that table afresh
            from the ``--set`` values of its section.
        flags: Mapping ``"section.key" -> value`` from direct CLI flags
            (None values are skipped).

    Returns:
        A new, validated `ExperimentConfig`.
    """
    values = to_dict(defaults)
    for section, table in (toml or {}).items():
        if section == "recipe":
            continue
        if not isinstance(table, dict):
            raise ConfigError(f"config entry '{section}' in {toml_origin} must be a [section] table")
        if section in TABLE_SECTIONS and section in values:
            values[section] = {}
        for key, value in table.items():
            _apply(values, section, key, value, toml_origin)
    assignments = [(text, *parse_assignment(text)) for text in overrides]
    _start_renamed_tables_afresh(values, [(section, value) for _, section, key, value in assignments if key == "name"])
    for text, section, key, value in assignments:
        _apply(values, section, key, value, f"--set {text}")
    for name, value in (flags or {}).items():
        if value is not None:
            section, key = name.split(".")
            _apply(values, section, key, value, f"--{key.replace('_', '-')}")
    return build(values)


def is_model_config(values):
    """Whether a ``model`` table is the registry's `ModelConfig` (else a user builder's free-form arguments)."""
    return set(values) == {f.name for f in dataclasses.fields(ModelConfig)}


def _start_renamed_tables_afresh(tables, names):
    """Empties each table section (``optimizer``, ``schedule``) given a ``name`` other than its own.

    ``names`` holds ``(section, name)`` pairs; the caller then applies its
    values, the name among them. The old optimizer's or schedule's
    arguments would not fit the new one, so a renamed table keeps none.
    """
    for section, name in names:
        if section in TABLE_SECTIONS and name != tables[section].get("name"):
            tables[section] = {}


def key_problem(name, config):
    """Why ``name`` is not a settable key of ``config`` (``"section.key"``), or None when it is.

    Keys of the free-form table sections (``optimizer``, ``schedule``) are
    checked later, by the factory the table feeds.
    """
    values = to_dict(config)
    section, dot, key = name.partition(".")
    if not dot or section not in values:
        return f"not a config key (section.key; sections: {', '.join(values)})"
    if section not in TABLE_SECTIONS and key not in values[section]:
        return f"unknown key of [{section}] (keys: {', '.join(sorted(values[section]))})"
    return None


def with_values(config, values, origin="the given values"):
    """A new, validated config: ``config`` with ``values`` (``{"section.key": value}``) set.

    In a table section (``optimizer``, ``schedule``) a ``name`` that differs
    from the config's starts the table afresh from that name and the
    section's other given values: arguments of the old optimizer or
    schedule would not fit the new one. Raises `ConfigError` for a value the
    section rejects, an unknown key or a value of the wrong type (named
    with ``origin``).
    """
    tables = to_dict(config)
    _start_renamed_tables_afresh(tables, [(s, values[f"{s}.name"]) for s in TABLE_SECTIONS if f"{s}.name" in values])
    for name, value in values.items():
        section, dot, key = name.partition(".")
        if not dot:
            raise ConfigError(f"'{name}' in {origin} is not a config key (section.key)")
        _apply(tables, section, key, value, origin)
    return build(tables)


def build(values):
    """`ExperimentConfig` from nested dicts; a section's own validation errors become ConfigError."""
    sections = {f.name: f for f in dataclasses.fields(ExperimentConfig)}
    kwargs = {}
    for name, field in sections.items():
        value = values.get(name)
        section_type = field.type if isinstance(field.type, type) else None
        if name == "model" and isinstance(value, dict) and not is_model_config(value):
            # A user's builder: its keyword arguments are the section (`kerasreg.engine.model_source`).
            kwargs[name] = dict(value)
            continue
        if dataclasses.is_dataclass(section_type) and isinstance(value, dict):
            try:
                kwargs[name] = section_type(**value)
            except (TypeError, ValueError) as error:
                raise ConfigError(str(error).splitlines()[0]) from None
        else:
            kwargs[name] = value
    return ExperimentConfig(**kwargs)
