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

A grid variant is named by its values, ``dropout=none,batch_norm=true``
(the last part of each key). Every key is a config key; every variant's
config is validated (built) before the first run starts.
"""

import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from kerasreg.config import ConfigError, read_toml, with_values

ENTRIES = ("name", "seeds", "preset", "config", "baseline", "set", "grid", "variants")
DEFAULT_SEEDS = 3


@dataclass
class Variant:
    """One arm of the comparison: its name and the config values it sets."""

    name: str
    values: dict

    @property
    def folder(self):
        """The variant's folder name: its name with anything unsafe in a path replaced."""
        return re.sub(r"[^A-Za-z0-9_.=,+-]", "_", self.name)


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

    def varied_keys(self):
        """The config keys the variants set, in first-seen order."""
        keys = []
        for variant in self.variants:
            keys += [k for k in variant.values if k not in keys]
        return keys

    def variant(self, name):
        return next(v for v in self.variants if v.name == name)


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


def _named_variants(path, variants):
    if not isinstance(variants, dict) or not variants:
        _fail(path, "[variants] is empty; give at least one [variants.NAME] table")
    parsed = []
    for name, values in variants.items():
        if not isinstance(values, dict):
            _fail(path, f"variant '{name}' must be a table of \"section.key\" = value")
        parsed.append(Variant(name, dict(values)))
    return parsed


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
    variants = _grid_variants(path, tables["grid"]) if "grid" in tables else _named_variants(path, tables["variants"])
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
    spec = ComparisonSpec(name=name, seeds=seeds, variants=variants, baseline=baseline, shared=dict(shared),
                          preset=preset, config=config)  # fmt: skip
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
