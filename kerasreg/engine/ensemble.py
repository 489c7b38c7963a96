"""Ensembles of separately trained runs: train K members, or reuse finished runs, and score their average.

The ensemble's prediction is the mean of its members' predicted
probabilities (Lakshminarayanan et al., 2017, "Simple and Scalable
Predictive Uncertainty Estimation using Deep Ensembles"). Each member is
scored on the test set alone and the ensemble against them: accuracy, NLL,
Brier score and ECE, so what the combination buys in accuracy and in
calibration is one table.

- ``python -m kerasreg train --ensemble K``: K runs with
  seeds ``seed .. seed + K - 1`` under ``<logdir>/<recipe>/ensemble-<name>/member-<seed>/``
  (rerunning skips finished members), then the report there.
- ``python -m kerasreg ensemble RUN_DIR [RUN_DIR ...]``:
  the same report from finished runs (e.g. a comparison variant's seeds).
"""

import copy
import json
import os

import keras
import numpy as np

from kerasreg.atomic_files import atomic_write
from kerasreg.config import ConfigError, to_dict
from kerasreg.engine.evaluation import evaluation_model, prediction_scores, test_predictions
from kerasreg.engine.preparation import prepare
from kerasreg.engine.training import train_into, versions
from kerasreg.engine.hardware import machine
from kerasreg.engine.run_files import member_configs, write_json_atomic
from kerasreg.layers.mc_mode import sampling_off

METRIC_NAMES = ("accuracy", "nll", "brier", "ece")


def evaluate_ensemble(task, run_dirs, log=print):
    """Scores each run and the mean of their probabilities on the test set; returns the report dict.

    The runs must share the data config (so the test set is the same); the
    test set is evaluated with each run's own test-time augmentation.
    """
    configs = member_configs(run_dirs)
    prepared = prepare(configs[0], task)
    members, total, labels = [], None, None
    for run_dir, config in zip(run_dirs, configs):
        keras.backend.clear_session()
        model = keras.models.load_model(os.path.join(run_dir, "model.keras"))
        with sampling_off(model):
            labels, probabilities = test_predictions(evaluation_model(model, config, prepared.fresh_metrics()),
                                                     prepared.test, prepared.one_hot, prepared.outputs)  # fmt: skip
        total = probabilities if total is None else total + probabilities
        members.append({"run_dir": run_dir, "seed": config.training.seed, **prediction_scores(probabilities, labels)})
        log(f"member {run_dir}: test accuracy {members[-1]['accuracy']:.4f}")
    ensemble = prediction_scores(total / len(members), labels)
    mean = {name: float(np.mean([m[name] for m in members])) for name in METRIC_NAMES}
    best = {name: float(max(m[name] for m in members) if name == "accuracy" else min(m[name] for m in members))
            for name in METRIC_NAMES}  # fmt: skip
    return {"members": members, "member_mean": mean, "member_best": best, "ensemble": ensemble,
            "size": len(members), "versions": versions(),
            "machine": machine()}  # fmt: skip


def markdown(report):
    """The report as a Markdown table: each member, their mean and best, and the ensemble."""
    lines = ["| model | test acc % | NLL | Brier | ECE |", "|---|---|---|---|---|"]

    def line(name, metrics):
        lines.append(f"| {name} | {metrics['accuracy'] * 100:.2f} | {metrics['nll']:.4f} | "
                     f"{metrics['brier']:.4f} | {metrics['ece']:.4f} |")  # fmt: skip

    for member in report["members"]:
        line(f"member (seed {member['seed']})", member)
    line("members: mean", report["member_mean"])
    line("members: best of each metric", report["member_best"])
    line(f"**ensemble of {report['size']}** (mean probability)", report["ensemble"])
    return "\n".join(lines) + "\n"


def write_report(folder, report):
    os.makedirs(folder, exist_ok=True)
    write_json_atomic(os.path.join(folder, "ensemble.json"), report)
    with atomic_write(os.path.join(folder, "ensemble.md")) as handle:
        handle.write(markdown(report))


def train_members(task, config, size, log=print):
    """Trains (or finishes) ``size`` members with consecutive seeds; returns ``(folder, run_dirs)``."""
    from kerasreg.engine.run_files import run_tag

    if size < 2:
        raise ConfigError(f"--ensemble needs at least 2 members; got {size}")
    name = config.logging.run_name or run_tag(config)
    folder = os.path.join(config.logging.logdir, task.name, f"ensemble-{name}")
    identity = {"config": to_dict(config)}
    identity["config"]["training"]["seed"] = None  # members differ only in the seed
    previous_path = os.path.join(folder, "ensemble-config.json")
    if os.path.isfile(previous_path):
        with open(previous_path) as handle:
            if json.load(handle) != json.loads(json.dumps(identity)):
                raise ConfigError(f"{folder} holds an ensemble of another config; set logging.run_name or delete it")
    os.makedirs(folder, exist_ok=True)
    write_json_atomic(previous_path, identity)
    run_dirs = []
    for index in range(size):
        seed = config.training.seed + index
        run_dir = os.path.join(folder, f"member-{seed}")
        run_dirs.append(run_dir)
        if os.path.isfile(os.path.join(run_dir, "results.json")):
            log(f"member {index + 1}/{size} (seed {seed}): done already")
            continue
        member = copy.deepcopy(config)
        member.training.seed = seed
        log(f"member {index + 1}/{size} (seed {seed})")
        train_into(run_dir, member, task, log=log)
    return folder, run_dirs
