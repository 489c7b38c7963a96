"""Run directories and the files in them, written atomically."""

import datetime
import json
import os
import re

from kerasreg.atomic_files import atomic_write
from kerasreg.config import ConfigError, build, to_dict

# What a run directory records about what built it, so `evaluate RUN_DIR` finds its experiment.
RUN_FILE = "run.json"


def write_json_atomic(path, payload):
    """Writes JSON to ``path`` atomically, so readers never see half a file."""
    with atomic_write(path) as stream:
        json.dump(payload, stream, indent=2, sort_keys=True, default=str)
        stream.write("\n")


def read_json(path):
    """The JSON in ``path``, or ``None`` when it is missing or not (yet) valid JSON."""
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, json.JSONDecodeError):
        return None


def run_tag(config):
    """A short, readable tag of what the run varies: model, dropout, schedule."""
    reg = config.regularization
    # A user's builder has no registry name: the experiment's name stands for it.
    parts = [config.recipe or "model" if isinstance(config.model, dict) else config.model.name]
    if reg.dropout != "none":
        parts.append(f"{reg.dropout}{reg.dropout_rate:g}")
    parts.append(str(config.schedule.get("name", "lr")))
    return re.sub(r"[^A-Za-z0-9_.+-]", "", "-".join(parts))


def create_run_dir(logdir, recipe, config, now=None, kind=""):
    """Creates ``logdir/recipe/[kind-]<time>-<tag>[-N]``: distinct even for runs started in the same second."""
    if config.logging.run_name:
        name = config.logging.run_name
    else:
        stamp = (now or datetime.datetime.now()).strftime("%Y%m%d-%H%M%S")
        name = f"{kind + '-' if kind else ''}{stamp}-{run_tag(config)}"
    parent = os.path.join(logdir, recipe)
    os.makedirs(parent, exist_ok=True)
    for attempt in range(1, 1000):
        path = os.path.join(parent, name if attempt == 1 else f"{name}-{attempt}")
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"no free run directory name under {parent} for {name}")


def finished_run_config(run_dir):
    """The `ExperimentConfig` a finished run (one that saved ``model.keras``) recorded, or `ConfigError`."""
    path = os.path.join(run_dir, "config.json")
    if not os.path.isfile(os.path.join(run_dir, "model.keras")) or not os.path.isfile(path):
        raise ConfigError(f"{run_dir} is not a finished kerasreg run (no model.keras / config.json)")
    return build(read_json(path))


def member_configs(run_dirs):
    """The configs of an ensemble's finished runs, or `ConfigError` unless there are 2+ sharing one test set."""
    if len(run_dirs) < 2:
        raise ConfigError(f"an ensemble needs at least 2 runs; got {len(run_dirs)}")
    configs = [finished_run_config(d) for d in run_dirs]
    data = to_dict(configs[0])["data"]
    for run_dir, config in zip(run_dirs[1:], configs[1:]):
        if to_dict(config)["data"] != data:
            raise ConfigError(f"{run_dir} uses other data than {run_dirs[0]} ([data] differs); "
                              "ensemble members must share the test set")  # fmt: skip
    return configs
