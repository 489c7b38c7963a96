"""Run directories and the files in them, written atomically."""

import datetime
import json
import os
import re

from kerasreg.atomic_files import atomic_write


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
