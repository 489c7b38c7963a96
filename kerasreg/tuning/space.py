"""Search spaces in TOML: hyperparameters named by the config keys they set, with conditions.

A space file (``recipes/cifar-tune.toml``)::

    name = "dropout-lr"                   # optional; default: the file's stem

    [hyperparameters."regularization.dropout"]
    type = "choice"
    values = ["none", "dropout", "dropblock"]

    [hyperparameters."regularization.block_size"]
    type = "int"
    min = 3
    max = 7
    step = 2
    when = {"regularization.dropout" = ["dropblock"]}   # exists only then

    [hyperparameters."schedule.learning_rate"]
    type = "float"
    min = 0.01
    max = 1.0
    sampling = "log"

Each hyperparameter is a config key (``section.key``). Its ``default`` is
the recipe's own value unless the file gives one, so the first trial of a
search is the plain recipe. ``when`` makes it conditional on an earlier
hyperparameter's values (KerasTuner's ``conditional_scope``).
"""

import math
from dataclasses import dataclass, field
from pathlib import Path

from kerasreg.config import ConfigError, key_problem, read_toml, to_dict, with_values

TYPES = ("choice", "int", "float", "bool")
SAMPLINGS = ("linear", "log", "reverse_log")
_KEYS = {
    "choice": {"type", "values", "default", "when"},
    "int": {"type", "min", "max", "step", "sampling", "default", "when"},
    "float": {"type", "min", "max", "step", "sampling", "default", "when"},
    "bool": {"type", "default", "when"},
}


@dataclass
class Hyperparameter:
    """One tuned config key; see the module docstring for the TOML fields."""

    name: str
    type: str
    default: object
    values: list = field(default_factory=list)
    min: float = None
    max: float = None
    step: float = None
    sampling: str = "linear"
    when: dict = field(default_factory=dict)

    def declare(self, hp):
        """Registers this hyperparameter on a KerasTuner `HyperParameters`; returns its value."""
        if self.type == "choice":
            return hp.Choice(self.name, self.values, default=self.default)
        if self.type == "bool":
            return hp.Boolean(self.name, default=self.default)
        if self.type == "int":
            return hp.Int(self.name, self.min, self.max, step=self.step, sampling=self.sampling, default=self.default)
        return hp.Float(self.name, self.min, self.max, step=self.step, sampling=self.sampling, default=self.default)


@dataclass
class SearchSpace:
    """The hyperparameters of a search, in file order (conditions refer to earlier ones)."""

    name: str
    hyperparameters: list

    def names(self):
        return [h.name for h in self.hyperparameters]

    def declare(self, hp):
        """Registers every hyperparameter (under its conditions); returns the active values."""
        from contextlib import ExitStack

        for parameter in self.hyperparameters:
            with ExitStack() as stack:
                for parent, values in parameter.when.items():
                    stack.enter_context(hp.conditional_scope(parent, values))
                parameter.declare(hp)
        return self.active_values(hp)

    def active_values(self, hp):
        """``{name: value}`` of the hyperparameters active in ``hp`` (inactive ones left out)."""
        return {name: hp.values[name] for name in self.names() if name in hp.values and hp.is_active(name)}

    def apply(self, config, values):
        """A new config: ``config`` with ``values`` set (`kerasreg.config.with_values`)."""
        return with_values(config, values)


def _fail(path, name, message):
    raise ConfigError(f"search space {path}: hyperparameter '{name}': {message}")


def _number(path, name, spec, key, kind):
    value = spec.get(key)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if kind == "int":
        ok = ok and float(value).is_integer()
    if not ok:
        _fail(path, name, f"{key} must be {'an integer' if kind == 'int' else 'a number'}; got {value!r}")
    return int(value) if kind == "int" else float(value)


def _config_default(config, name):
    section, key = name.split(".", 1)
    return to_dict(config)[section].get(key)


def _check_key(path, name, config):
    problem = key_problem(name, config)
    if problem:
        _fail(path, name, problem)


def _parse(path, name, spec, config, earlier, default_matters=True):
    if not isinstance(spec, dict):
        _fail(path, name, "must be a table")
    _check_key(path, name, config)
    kind = spec.get("type")
    if kind not in TYPES:
        _fail(path, name, f"type must be one of {', '.join(TYPES)}; got {kind!r}")
    unknown = sorted(set(spec) - _KEYS[kind])
    if unknown:
        _fail(path, name, f"unknown field '{unknown[0]}' for type {kind} (fields: {', '.join(sorted(_KEYS[kind]))})")
    parameter = Hyperparameter(name=name, type=kind, default=None)

    when = spec.get("when", {})
    if "when" in spec and (not isinstance(when, dict) or not when):
        _fail(path, name, "when must be a table {\"section.key\" = [values]} naming an earlier hyperparameter")
    for parent, values in when.items():
        if parent not in earlier:
            _fail(path, name, f"when refers to '{parent}', which is not an earlier hyperparameter of this space")
        values = values if isinstance(values, list) else [values]
        if not values or earlier[parent].type == "choice" and any(v not in earlier[parent].values for v in values):
            _fail(path, name, f"when '{parent}' must list values of '{parent}'; got {values!r}")
        parameter.when[parent] = values

    if kind == "choice":
        values = spec.get("values")
        if not isinstance(values, list) or not values or len({type(v) for v in values}) != 1:
            _fail(path, name, f"values must be a non-empty list of one type; got {values!r}")
        if len(set(values)) != len(values):
            _fail(path, name, f"values has duplicates: {values!r}")
        parameter.values = list(values)
    elif kind in ("int", "float"):
        parameter.min = _number(path, name, spec, "min", kind)
        parameter.max = _number(path, name, spec, "max", kind)
        if parameter.min > parameter.max:
            _fail(path, name, f"min must be <= max; got min={parameter.min}, max={parameter.max}")
        parameter.sampling = spec.get("sampling", "linear")
        if parameter.sampling not in SAMPLINGS:
            _fail(path, name, f"sampling must be one of {', '.join(SAMPLINGS)}; got {parameter.sampling!r}")
        if parameter.sampling != "linear" and parameter.min <= 0:
            _fail(path, name, f"{parameter.sampling} sampling needs min > 0; got min={parameter.min}")
        if "step" in spec:
            parameter.step = _number(path, name, spec, "step", kind)
            if parameter.step <= 0:
                _fail(path, name, f"step must be > 0; got step={parameter.step}")
        elif kind == "int":
            parameter.step = 1

    given = "default" in spec
    default = spec["default"] if given else _config_default(config, name)
    problem = _default_problem(parameter, default)
    if problem and not given and not default_matters:
        # Only a search's first trial uses the default: where every point runs, the space's first value serves.
        default, problem = (parameter.values[0] if kind == "choice" else False if kind == "bool" else parameter.min), None
    if problem:
        where = "default" if given else f"the experiment's value ({name} = {default!r}; give a default)"
        _fail(path, name, f"{where} {problem}")
    if kind in ("int", "float"):
        default = int(default) if kind == "int" else float(default)
    parameter.default = default
    return parameter


def _default_problem(parameter, default):
    """What is wrong with ``default`` for ``parameter`` (the end of a sentence), or None."""
    kind = parameter.type
    if kind == "choice" and default not in parameter.values:
        return f"is not one of values {parameter.values!r}"
    if kind == "bool" and not isinstance(default, bool):
        return "must be true or false"
    if kind in ("int", "float"):
        number = isinstance(default, (int, float)) and not isinstance(default, bool)
        if not number or not parameter.min <= default <= parameter.max or (kind == "int" and float(default) != int(default)):
            return f"must be {'an integer' if kind == 'int' else 'a number'} in [min, max]"
    return None


def load_space(path, config):
    """Reads and validates a search space file against ``config`` (the resolved base config).

    Raises `ConfigError` (one line) for a missing or malformed file, an
    unknown config key, a bad type or range, log sampling with min <= 0, a
    condition on an unknown or later hyperparameter, or a default outside
    its range.
    """
    return parse_space(read_toml(path), config, path, Path(path).stem)


def parse_space(tables, config, origin="the search space", default_name="search", default_matters=True):
    """A `SearchSpace` from the tables of a space file (``name``, ``hyperparameters``), checked as `load_space`.

    ``default_matters=False`` (a comparison's tuning, where every point
    runs): a hyperparameter without a ``default`` whose experiment value is
    outside its values takes its first value instead of being an error.
    """
    path = origin
    unknown = sorted(set(tables) - {"name", "hyperparameters"})
    if unknown:
        raise ConfigError(f"search space {path}: unknown entry '{unknown[0]}' (allowed: name, [hyperparameters.\"section.key\"])")
    specs = tables.get("hyperparameters")
    if not isinstance(specs, dict) or not specs:
        raise ConfigError(f"search space {path}: no [hyperparameters.\"section.key\"] tables")
    name = tables.get("name", default_name)
    if not isinstance(name, str) or not name or "/" in name:
        raise ConfigError(f"search space {path}: name must be a non-empty string without '/'; got {name!r}")
    parsed = {}
    for key, spec in specs.items():
        parsed[key] = _parse(path, key, spec, config, parsed, default_matters)
    return SearchSpace(name=name, hyperparameters=list(parsed.values()))


def space_from_dict(values, config, name="search"):
    """A `SearchSpace` from Python shorthand: ``{"section.key": spec}``.

    A spec is a list (``choice`` of those values), ``("log", min, max)`` or
    ``("linear", min, max)`` (a float), ``("int", min, max)``, or a full
    table as in a space file (``{"type": "float", "min": ..., ...}``).

    Example:

    >>> from kerasreg.config import ExperimentConfig
    >>> space = space_from_dict({"schedule.learning_rate": ("log", 1e-3, 1e-1),
    ...                          "regularization.dropout": ["none", "dropout"]}, ExperimentConfig())
    >>> [(h.name, h.type) for h in space.hyperparameters]
    [('schedule.learning_rate', 'float'), ('regularization.dropout', 'choice')]
    """
    if not isinstance(values, dict) or not values:
        raise ConfigError(f"a search space is a non-empty dict of config keys to specs; got {values!r}")
    specs = {}
    for key, spec in values.items():
        if isinstance(spec, list):
            spec = {"type": "choice", "values": spec}
        elif isinstance(spec, tuple) and len(spec) == 3 and spec[0] in ("log", "linear", "int"):
            kind, low, high = spec
            spec = {"type": "int" if kind == "int" else "float", "min": low, "max": high}
            if kind == "log":
                spec["sampling"] = "log"
        elif not isinstance(spec, dict):
            raise ConfigError(f"search space: {key!r} must be a list of choices, (\"log\"|\"linear\"|\"int\", min, max) "
                              f"or a table; got {spec!r}")  # fmt: skip
        specs[key] = spec
    return parse_space({"name": name, "hyperparameters": specs}, config, "given in Python", name)


def _active(parameter, values):
    """Whether ``parameter``'s conditions hold for the earlier ``values``."""
    return all(values.get(parent) in allowed for parent, allowed in parameter.when.items())


def parameter_values(parameter, origin="the search space"):
    """Every value a grid search tries for ``parameter``, in order (KerasTuner's grid).

    ``choice``: its values; ``bool``: false, true; a number: ``min``,
    ``min + step``, ... up to ``max`` (``log`` sampling: ``min``,
    ``min * step``, ...). A float without ``step`` has no grid.
    """
    if parameter.type == "choice":
        return list(parameter.values)
    if parameter.type == "bool":
        return [False, True]
    if parameter.step is None:
        raise ConfigError(f"{origin}: '{parameter.name}' is a float without step, so it has no grid; "
                          "give step (or a choice of values)")  # fmt: skip
    if parameter.sampling == "reverse_log":
        raise ConfigError(f"{origin}: '{parameter.name}' has reverse_log sampling, which has no grid; "
                          "use linear or log")  # fmt: skip
    if parameter.sampling == "log" and parameter.step <= 1:
        raise ConfigError(f"{origin}: '{parameter.name}' has log sampling, whose step multiplies: "
                          f"it must be > 1; got step={parameter.step}")  # fmt: skip
    found, k = [], 0
    # The tolerance keeps a max that float steps reach inexactly (0.1 * 3 > 0.3).
    limit = parameter.max * (1 + 1e-9) + 1e-12
    while True:
        value = parameter.min + k * parameter.step if parameter.sampling == "linear" else parameter.min * parameter.step**k
        if value > limit:
            return found
        found.append(int(round(value)) if parameter.type == "int" else min(float(value), parameter.max))
        k += 1


def grid_points(space, origin="the search space"):
    """Every combination a grid search over ``space`` tries: a list of ``{name: value}`` (active keys only).

    A conditional hyperparameter varies only where its conditions hold, so
    each point is counted once (KerasTuner's grid search does the same).
    """
    points = [{}]
    for parameter in space.hyperparameters:
        grown = []
        for point in points:
            if _active(parameter, point):
                grown += [{**point, parameter.name: value} for value in parameter_values(parameter, origin)]
            else:
                grown.append(point)
        points = grown
    return points


def random_points(space, count, seed):
    """``count`` distinct random points of ``space`` (KerasTuner's sampling of each hyperparameter).

    Each draw of a hyperparameter is seeded by ``(seed, point index,
    name)``, so two spaces sharing a hyperparameter draw the same values of
    it at the same index (unless a point had to be drawn again as a
    duplicate): variants tuned over one learning-rate range try the same
    rates. Raises `ConfigError` when the space has fewer than
    ``count`` distinct points.
    """
    import hashlib

    import keras_tuner as kt

    hps = kt.HyperParameters()
    space.declare(hps)
    declared = {h.name: h for h in hps.space}

    def draw(index, attempt):
        point = {}
        for parameter in space.hyperparameters:
            if _active(parameter, point):
                text = f"{seed}/{index}/{attempt}/{parameter.name}".encode()
                sub_seed = int.from_bytes(hashlib.sha256(text).digest()[:4], "little")
                point[parameter.name] = declared[parameter.name].random_sample(sub_seed)
        return point

    points = []
    for index in range(count):
        for attempt in range(100):
            point = draw(index, attempt)
            if point not in points:
                points.append(point)
                break
        else:
            raise ConfigError(f"search space {space.name}: found only {len(points)} distinct points in 100 draws, "
                              f"fewer than the {count} trials; use a grid or fewer trials")  # fmt: skip
    return points
