"""Smoke-sized searches through the real command line, and readers for what they write."""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Dropout variant with a conditional DropBlock size; a log-sampled learning
# rate (a step keeps it griddable: 0.01, 0.1). Placement "blocks" suits all three.
SPACE = """
name = "smoke"

[hyperparameters."regularization.dropout"]
type = "choice"
values = ["none", "dropblock", "dropout"]

[hyperparameters."regularization.block_size"]
type = "int"
min = 3
max = 5
step = 2
default = 3
when = {"regularization.dropout" = ["dropblock"]}

[hyperparameters."schedule.learning_rate"]
type = "float"
min = 0.01
max = 0.1
step = 10
sampling = "log"
default = 0.01
"""

BASE = ["--preset", "smoke", "--set", "regularization.dropout_placement=blocks", "--set", "data.synthetic_examples=128"]


def tune_command(*args):
    return [sys.executable, "-m", "kerasreg.recipes.cifar", "tune", *BASE, *args]


def environment(cwd):
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERASREG_CACHE": str(Path(cwd) / "cache")}


def run_tune(cwd, *args, timeout=600):
    """``tune`` through the recipe's command line, in this process (`tests.cli_runner`)."""
    from tests import cli_runner

    return cli_runner.cifar("tune", *BASE, *args, cwd=cwd)


def write_space(cwd, text=SPACE, name="space.toml"):
    path = Path(cwd) / name
    path.write_text(text)
    return str(path)


def search_root(cwd, name="smoke"):
    return Path(cwd) / "logs" / "cifar" / f"tune-{name}"


def results(cwd, name="smoke"):
    return json.loads((search_root(cwd, name) / "results.json").read_text())


def session_hparams(trial_dir):
    """The HParams session-start values of a trial run, read with TensorBoard's own event reader."""
    from tensorboard.backend.event_processing import event_file_loader
    from tensorboard.plugins.hparams import plugin_data_pb2

    for path in sorted(Path(trial_dir).glob("events.out.tfevents.*")):
        for event in event_file_loader.EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                if value.tag == "_hparams_/session_start_info":
                    data = plugin_data_pb2.HParamsPluginData.FromString(value.metadata.plugin_data.content)
                    found = {}
                    for name, v in data.session_start_info.hparams.items():
                        kind = v.WhichOneof("kind")
                        found[name] = getattr(v, kind)
                    return found
    return None
