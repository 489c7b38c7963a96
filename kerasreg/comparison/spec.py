"""Comparison files: a base config, the variants to compare and the seeds, in TOML.

A comparison file (``recipes/cifar-dropout-ablation.toml``)::

    name = "dropout-ablation"      # optional; default: the file's stem
    seeds = 3                      # runs per variant (seeds base, base+1, ...); default 3
    preset = "cpu"                 # optional; --preset wins; it wins over the config file's own preset
    config = "cifar.toml"          # optional experiment file, relative to this file; --config wins

With neither ``preset`` nor ``config`` (nor ``--preset``/``--config``) the base
is the machine's preset (``cpu``/``gpu``), as for a run; with a ``config``
file and no preset, the preset that file names, else the experiment's own
defaults (`kerasreg.engine.resolve_config`).
    baseline = "dropout=none,batch_norm=true"   # optional; default: the first variant

    [set]                          # optional: values every variant shares (--set wins)
    "training.epochs" = 14

    [grid]                         # every combination is a variant ...
    "regularization.dropout" = ["none", "dropout", "dropconnect"]
    "model.batch_norm" = [true, false]

    # ... or named variants instead of a grid:
    # [variants.no-dropout]
    # "regularization.dropout" = "none"
    # [variants.dropout]
    # "regularization.dropout" = "dropout"

    [tune]                         # optional: tune every variant at an equal budget first
    tuner = "grid"                 # "grid" (default) or "random"
    trials = 3                     # each variant's budget; a grid's default: its size
    seed = 1000                    # the tuning runs' seed; default: the base seed + 1000
    [tune.hyperparameters."schedule.learning_rate"]   # a space, as in a tune file
    type = "choice"
    values = [0.05, 0.1, 0.2]

    # A named variant may tune keys of its own beside the shared ones:
    # [variants.dropout.tune."regularization.dropout_rate"]
    # type = "choice"
    # values = [0.05, 0.1, 0.2]

With ``[tune]`` each variant first gets the same number of tuning runs on
the validation split (never the test set), with its own best values then
used by all its seeds; a grid comparison needs every variant's grid to
have the same size. Tuning runs train with their own seed, so that no
final run repeats the luckiest tuning run and carries its luck into the
test score.

A grid variant is named by its values, ``dropout=none,batch_norm=true``
(the last part of each key). Every key is a config key; every variant's
config is validated (built) before the first run starts.
"""

import itertools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from kerasreg.config import ConfigError, read_toml, with_values

ENTRIES = ("name", "seeds", "preset", "config", "baseline", "set", "grid", "variants", "tune")
DEFAULT_SEEDS = 3
TUNE_ENTRIES = ("tuner", "trials", "seed", "hyperparameters")
# Tuners whose trials can all be drawn before the first one runs, so that any
# machine can take any of them; Bayesian optimization and Hyperband decide
# each trial from earlier results.
COMPARISON_TUNERS = ("grid", "random")
# The tuning runs' seed when [tune] names none: far from the final runs' seeds.
TUNING_SEED_OFFSET = 1000


@dataclass
class Variant:
    """One arm of the comparison: its name and the config values it sets."""

    name: str
    values: dict
    tune: dict = field(default_factory=dict)  # the hyperparameters only this variant tunes

    @property
    def folder(self):
        """The variant's folder name: its name with anything unsafe in a path replaced."""
        return re.sub(r"[^A-Za-z0-9_.=,+-]", "_", self.name)


@dataclass
class TuneSpec:
    """A comparison's ``[tune]`` table: every variant's tuning budget and shared space."""

    tuner: str = "grid"
    trials: int = None  # None: a grid's size
    seed: int = None  # None: the base seed + TUNING_SEED_OFFSET
    hyperparameters: dict = field(default_factory=dict)  # "section.key" -> space table

    def seed_for(self, base_seed):
        return base_seed + TUNING_SEED_OFFSET if self.seed is None else self.seed


@dataclass
class ComparisonSpec:
    """A parsed, validated comparison file (see the module docstring)."""

    name: str
    seeds: int
    variants: list
    baseline: str
    shared: dict  # [set]: "section.key" -> value
    preset: str = None
    config: str = None  # absolute path of the experiment file, or None
    tune: TuneSpec = None  # None: every variant runs at its values as given

    def varied_keys(self):
        """The config keys the variants set, in first-seen order."""
        keys = []
        for variant in self.variants:
            keys += [k for k in variant.values if k not in keys]
        return keys

    def variant(self, name):
        return next(v for v in self.variants if v.name == name)

    def tuned_tables(self, variant):
        """``{"section.key": table}``: what ``variant`` is tuned over, the shared hyperparameters then its own."""
        return {**self.tune.hyperparameters, **variant.tune} if self.tune is not None else {}


def _fail(path, message):
    raise ConfigError(f"comparison file {path}: {message}")


def _literal(value):
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float) else str(value)


def _grid_variants(path, grid):
    if not isinstance(grid, dict) or not grid:
        _fail(path, "[grid] is empty; give at least one \"section.key\" = [values]")
    for key, values in grid.items():
        if not isinstance(values, list) or not values:
            _fail(path, f"[grid] '{key}' must be a non-empty list of values; got {values!r}")
        if len(set(map(repr, values))) != len(values):
            _fail(path, f"[grid] '{key}' has duplicate values: {values!r}")
    keys = list(grid)
    short = [k.split(".", 1)[-1] for k in keys]
    if len(set(short)) != len(short):
        short = keys  # two sections share a key name: spell keys out
    variants = []
    for combination in itertools.product(*(grid[k] for k in keys)):
        name = ",".join(f"{s}={_literal(v)}" for s, v in zip(short, combination))
        variants.append(Variant(name, dict(zip(keys, combination))))
    return variants


def named_variants(path, variants):
    if not isinstance(variants, dict) or not variants:
        _fail(path, "[variants] is empty; give at least one [variants.NAME] table")
    parsed = []
    for name, values in variants.items():
        if not isinstance(values, dict):
            _fail(path, f"variant '{name}' must be a table of \"section.key\" = value")
        values = dict(values)
        tune = values.pop("tune", {})
        if not isinstance(tune, dict):
            _fail(path, f"variant '{name}': tune must be a table of hyperparameters "
                        f"([variants.{name}.tune.\"section.key\"]); got {tune!r}")  # fmt: skip
        parsed.append(Variant(name, values, dict(tune)))
    return parsed


def parse_tune(path, table):
    """A `TuneSpec` from a ``[tune]`` table (its fields' types and values; the spaces are checked with a config)."""
    if not isinstance(table, dict):
        _fail(path, f"[tune] must be a table ({', '.join(TUNE_ENTRIES)}); got {table!r}")
    unknown = sorted(set(table) - set(TUNE_ENTRIES))
    if unknown:
        _fail(path, f"[tune] has unknown entry '{unknown[0]}' (allowed: {', '.join(TUNE_ENTRIES)})")
    tuner = table.get("tuner", "grid")
    if tuner not in COMPARISON_TUNERS:
        _fail(path, f"[tune] tuner must be one of {', '.join(COMPARISON_TUNERS)}; got {tuner!r} (a comparison draws "
                    "every variant's trials before the first runs, so that machines can share them)")  # fmt: skip
    trials = table.get("trials")
    if trials is not None and (isinstance(trials, bool) or not isinstance(trials, int) or trials < 1):
        _fail(path, f"[tune] trials must be an integer >= 1; got {trials!r}")
    if tuner == "random" and trials is None:
        _fail(path, "[tune] a random tuner needs trials = N (each variant's budget)")
    seed = table.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        _fail(path, f"[tune] seed must be an integer >= 0; got {seed!r}")
    shared = table.get("hyperparameters", {})
    if not isinstance(shared, dict):
        _fail(path, f"[tune] hyperparameters must be tables [tune.hyperparameters.\"section.key\"]; got {shared!r}")
    return TuneSpec(tuner=tuner, trials=trials, seed=seed, hyperparameters=dict(shared))


def check_tune_structure(path, spec):
    """The checks of ``[tune]`` that need no config: something to tune, and no key both set and tuned."""
    tune = spec.tune
    if tune is None:
        return
    for variant in spec.variants:
        tuned = spec.tuned_tables(variant)
        if not tuned:
            _fail(path, f"variant '{variant.name}' has nothing to tune: give [tune.hyperparameters.\"section.key\"] "
                        f"tables shared by every variant, or [variants.{variant.name}.tune.\"section.key\"]")  # fmt: skip
        both = [k for k in variant.values if k in tuned] + [k for k in variant.tune if k in tune.hyperparameters]
        if both:
            _fail(path, f"variant '{variant.name}' both sets and tunes '{both[0]}'; keep one")
        if both := [k for k in tuned if k in spec.shared]:
            _fail(path, f"'{both[0]}' is both in [set] and tuned; keep one")


def variant_space(spec, variant, config, origin):
    """The `kerasreg.tuning.SearchSpace` ``variant`` is tuned over: the shared hyperparameters, then its own.

    ``config``: the base config; the variant's values go on it first, so
    that a hyperparameter's default is the variant's value.
    """
    from kerasreg.tuning.space import parse_space

    config = with_values(config, variant.values, origin=f"variant '{variant.name}'")
    return parse_space({"name": variant.folder, "hyperparameters": spec.tuned_tables(variant)}, config,
                       f"{origin} variant '{variant.name}'", default_matters=False)  # fmt: skip


def tuning_budget(path, spec, config):
    """``{variant: trials}``, each variant's tuning budget, all equal; `ConfigError` when they cannot be.

    A grid's budget is its size: every variant's grid must have as many
    points as ``trials`` (or, without it, as each other), since a smaller
    grid would be a smaller budget.
    """
    from kerasreg.tuning.space import grid_points

    tune = spec.tune
    spaces = {v.name: variant_space(spec, v, config, path) for v in spec.variants}
    if tune.tuner != "grid":
        return {name: tune.trials for name in spaces}
    sizes = {name: len(grid_points(space, f"comparison file {path}")) for name, space in spaces.items()}
    wanted = tune.trials if tune.trials is not None else next(iter(sizes.values()))
    if any(size != wanted for size in sizes.values()):
        listed = ", ".join(f"{name}: {size}" for name, size in sizes.items())
        target = f"trials = {tune.trials}" if tune.trials is not None else "an equal budget"
        _fail(path, f"[tune] {target} needs every variant's grid to have {wanted} points; they have {listed} "
                    "(give each variant as many values, or use tuner = \"random\" with trials = N)")  # fmt: skip
    return sizes


def load_comparison(path, check_config=None):
    """Reads and validates a comparison file.

    Args:
        path: The TOML file.
        check_config: Optional resolved base config; when given, every key
            is checked against it and every variant's config is built, so a
            bad value fails here, before any run.

    Raises:
        ConfigError: One line naming the file and the problem (an unknown
            entry or config key, ``seeds < 1``, an empty grid, both or
            neither of ``[grid]`` and ``[variants]``, a baseline that is
            not a variant, a value a config section rejects).
    """
    tables = read_toml(path)
    unknown = sorted(set(tables) - set(ENTRIES))
    if unknown:
        _fail(path, f"unknown entry '{unknown[0]}' (allowed: {', '.join(ENTRIES)})")
    name = tables.get("name", Path(path).stem)
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        _fail(path, f"name must be a non-empty string without '/'; got {name!r}")
    seeds = tables.get("seeds", DEFAULT_SEEDS)
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        _fail(path, f"seeds must be an integer >= 1; got {seeds!r}")
    if ("grid" in tables) == ("variants" in tables):
        _fail(path, "give either a [grid] or [variants.NAME] tables (one of them)")
    variants = _grid_variants(path, tables["grid"]) if "grid" in tables else named_variants(path, tables["variants"])
    shared = tables.get("set", {})
    if not isinstance(shared, dict):
        _fail(path, "[set] must be a table of \"section.key\" = value")
    baseline = tables.get("baseline", variants[0].name)
    if baseline not in {v.name for v in variants}:
        _fail(path, f"baseline '{baseline}' is not a variant (variants: {', '.join(v.name for v in variants)})")
    folders = [v.folder for v in variants]
    if len(set(folders)) != len(folders):
        _fail(path, "two variants' names map to the same folder; rename them")
    config = tables.get("config")
    if config is not None:
        if not isinstance(config, str):
            _fail(path, f"config must be a path to an experiment file; got {config!r}")
        config = os.path.join(os.path.dirname(os.path.abspath(path)), config)
    preset = tables.get("preset")
    if preset is not None and not isinstance(preset, str):
        _fail(path, f"preset must be a string; got {preset!r}")
    tune = parse_tune(path, tables["tune"]) if "tune" in tables else None
    if tune is None and any(v.tune for v in variants):
        tune = TuneSpec()  # a variant's own tune tables alone: a grid over them
    spec = ComparisonSpec(name=name, seeds=seeds, variants=variants, baseline=baseline, shared=dict(shared),
                          preset=preset, config=config, tune=tune)  # fmt: skip
    check_tune_structure(path, spec)
    if check_config is not None:
        check_variants(path, spec, check_config)
    return spec


def find_comparison(recipes_dir, folder_name, pattern):
    """``(path, spec)`` of the comparison file (``pattern`` in ``recipes_dir``, tuning spaces left out) whose runs
    go to ``folder_name`` (``compare-<name>``), or None."""
    for path in sorted(Path(recipes_dir).glob(pattern)):
        if path.name.endswith("-tune.toml"):
            continue
        spec = load_comparison(path)
        if f"compare-{spec.name}" == folder_name:
            return path, spec
    return None


def check_variants(path, spec, config):
    """Builds every variant's config from ``config`` (`ConfigError` on the first bad key or value)."""
    for variant in spec.variants:
        try:
            with_values(config, variant.values, origin=f"variant '{variant.name}'")
        except ConfigError as error:
            _fail(path, str(error))
    if spec.tune is not None:
        tuning_budget(path, spec, config)
