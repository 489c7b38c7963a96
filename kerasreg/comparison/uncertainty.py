"""``uncertainty``: one table of uncertainty methods over seeds, on clean, shifted and out-of-distribution data.

The methods, each scored ``seeds`` times (Ovadia et al. 2019's protocol at
a small scale):

- ``deterministic``: one run's model, as it was tested;
- ``deterministic+temperature``: the same predictions rescaled by the
  temperature fitted on that run's validation split;
- ``mc_dropout``: the mean of ``mc_samples`` Monte Carlo dropout samples of
  the same model (its dropout layers sampling at inference);
- ``ensemble``: the mean probability of ``members`` runs of other seeds
  (Lakshminarayanan et al. 2017); the ensembles of different seeds share
  no member;
- ``swa``: a run that averages its weights over its last ``swa_epochs``
  epochs (Izmailov et al. 2018).

So ``seeds * members`` plain runs train (seeds ``seed ..``) and ``seeds``
SWA runs. Every model is scored on the test set, on its corruptions at
five severities (`kerasreg.engine.robustness`) and on the OOD sets, and
each row of the table is the mean over seeds with its Student-t interval.
Everything resumes: finished runs are kept, an interrupted run continues
from its checkpoint, and each seed's scores are written (atomically) once
done, so a rerun of the same command continues where it stopped.

Written under ``<logdir>/<experiment>/uncertainty-<name>/``:
``runs/seed-<s>/``, ``swa/seed-<s>/`` (run directories),
``scores/seed-<i>.json`` (each seed's scores), ``uncertainty.md`` and
``uncertainty.json`` (the table), ``shift.png`` (accuracy and ECE against
severity, with intervals), ``reliability.png`` and
``reliability-calibrated.png`` (the first seed's test set before and after
temperature scaling).
"""

import contextlib
import copy
import dataclasses
import os
import time


from kerasreg.comparison.statistics import mean_interval
from kerasreg.comparison.cells import plus_minus as _plus_minus
from kerasreg.config import ConfigError, to_dict
from kerasreg.config.recorded import as_recorded
from kerasreg.engine.run_files import read_json, write_json_atomic

# Rows of the table, in order.
METHODS = ("deterministic", "deterministic+temperature", "mc_dropout", "ensemble", "swa")
# The scores of each data set that get intervals.
METRICS = ("accuracy", "nll", "brier", "ece", "adaptive_ece")
OOD_SCORES = ("auroc", "aupr", "fpr_at_95_tpr")


@dataclasses.dataclass
class UncertaintySpec:
    """What an uncertainty study trains and scores (see the module docstring)."""

    name: str = "study"
    seeds: int = 3
    members: int = 3
    mc_samples: int = 20
    swa_epochs: int = 0  # 0: a quarter of the epochs (at least 1)
    corruptions: tuple = None  # None: every corruption
    shift_examples: int = None  # None: a fifth of the test set per severity
    ood_examples: int = None  # None: as many as test images

    def check(self, config):
        """Refuses counts that leave a row empty or meaningless, with the value and what is allowed."""
        counts = [("seeds", 1), ("members", 2), ("mc_samples", 2)]
        counts += [(name, 1) for name in ("shift_examples", "ood_examples") if getattr(self, name) is not None]
        for name, least in counts:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ConfigError(f"--{name.replace('_', '-')} must be an integer >= {least}; got {value!r}")
        epochs = config.training.epochs
        if config.training.swa_epochs:
            raise ConfigError(f"training.swa_epochs={config.training.swa_epochs}: the study trains its own SWA runs "
                              "beside plain ones; set it with --swa-epochs instead")  # fmt: skip
        if not 0 <= self.swa_epochs <= epochs:
            raise ConfigError(f"--swa-epochs must be in [0, training.epochs={epochs}] (0: a quarter); "
                              f"got {self.swa_epochs}")  # fmt: skip
        if config.training.early_stopping_patience:
            raise ConfigError("the study's SWA runs cannot stop early (early stopping restores the best epoch, "
                              "SWA averages the last ones): set training.early_stopping_patience=0")  # fmt: skip

    def swa_length(self, config):
        return self.swa_epochs or max(1, config.training.epochs // 4)


def study_dir(config, task, spec):
    return os.path.join(config.logging.logdir, task.name, f"uncertainty-{spec.name}")


def _run_configs(base, spec):
    """``{run directory (relative): config}`` of every run the study trains."""
    configs = {}
    for index in range(spec.seeds * spec.members):
        config = copy.deepcopy(base)
        config.training.seed = base.training.seed + index
        configs[os.path.join("runs", f"seed-{config.training.seed}")] = config
    for index in range(spec.seeds):
        config = copy.deepcopy(base)
        config.training.seed = base.training.seed + index
        config.training.swa_epochs = spec.swa_length(base)
        configs[os.path.join("swa", f"seed-{config.training.seed}")] = config
    return configs


def _check_identity(folder, base, spec):
    """A study folder holds one study: rerunning with another config or spec is an error, not a mix."""
    identity = {"config": to_dict(base), "spec": dataclasses.asdict(spec)}
    identity["spec"]["corruptions"] = list(spec.corruptions) if spec.corruptions else None
    path = os.path.join(folder, "study.json")
    previous = read_json(path)
    if previous is not None and isinstance(previous.get("config"), dict):
        identity = {**identity, "config": as_recorded(identity["config"], previous["config"])}
    if previous is not None and previous != identity:
        raise ConfigError(f"{folder} holds an uncertainty study of another config or spec; use another --name "
                          "or delete it")  # fmt: skip
    os.makedirs(folder, exist_ok=True)
    write_json_atomic(path, identity)


def _check_model(task, base, log):
    """The model must have dropout (else the MC row repeats the deterministic one) and RGB image data."""
    import keras

    from kerasreg.engine.mc_evaluation import _stochastic_layers
    from kerasreg.engine.preparation import prepare
    from kerasreg.engine.robustness import check_shift_data

    prepared = prepare(base, task)
    stochastic = _stochastic_layers(prepared.model)
    if not stochastic:
        raise ConfigError(f"the model of {task.name!r} has no dropout or other stochastic layer, so its MC dropout "
                          "row would repeat the deterministic one: set regularization.dropout_rate (e.g. 0.1)")  # fmt: skip
    check_shift_data(prepared.dataset)
    log(f"MC dropout samples {', '.join(stochastic)}")
    keras.backend.clear_session()


def _train_all(task, folder, configs, log):
    from kerasreg.engine.training import train_into

    pending = [name for name in configs if not os.path.isfile(os.path.join(folder, name, "results.json"))]
    log(f"uncertainty study: {len(configs) - len(pending)} of {len(configs)} runs done already")
    for count, name in enumerate(pending, start=1):
        log(f"run {count} of {len(pending)}: {name}")
        train_into(os.path.join(folder, name), configs[name], task, log=log, check_noops=False)


def _score_seed(task, folder, configs, spec, index, log):
    """Scores seed ``index``'s deterministic, MC, ensemble and SWA models; returns the scores written."""
    import keras

    from kerasreg.engine import robustness
    from kerasreg.engine.preparation import prepare
    from kerasreg.layers.mc_mode import sampling_off
    from kerasreg.uncertainty.corruptions import CORRUPTIONS, SEVERITIES

    keras.backend.clear_session()
    plain = [name for name in configs if name.startswith("runs")]
    own, swa = plain[index], os.path.join("swa", os.path.basename(plain[index]))
    members = plain[index * spec.members:(index + 1) * spec.members]  # fmt: skip
    config = configs[own]
    prepared = prepare(config, task)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        def load(name):
            model = keras.models.load_model(os.path.join(folder, name, "model.keras"))
            stack.enter_context(sampling_off(model))
            return model

        model = load(own)
        predictors = [
            robustness.model_predictor("deterministic", model, config, prepared, calibrate=True),
            robustness.mc_predictor("mc_dropout", model, config, prepared, spec.mc_samples),
            robustness.ensemble_predictor("ensemble", [
                robustness.model_predictor(name, load(name), configs[name], prepared) for name in members]),
            robustness.model_predictor("swa", load(swa), configs[swa], prepared),
        ]  # fmt: skip
        data = robustness.evaluation_data(config, prepared, ood=True, ood_examples=spec.ood_examples,
                                          seed=configs[plain[0]].training.seed)  # fmt: skip
        # One evaluation seed for every seed: the shifted and OOD data stay
        # the same, and the intervals are over training seeds only.
        reports = robustness.score_predictors(predictors, data, corruptions=tuple(spec.corruptions or CORRUPTIONS),
                                              severities=SEVERITIES, examples=spec.shift_examples,
                                              seed=configs[plain[0]].training.seed, log=log)  # fmt: skip
    seconds = reports.pop("_seconds")
    clean = reports.pop("_clean")
    if index == 0:
        robustness.reliability_diagrams(folder, clean["deterministic"], data.y_test,
                                        reports["deterministic+temperature"]["temperature"], whose=" (first seed)")
    scores = {"index": index, "runs": {"deterministic": own, "ensemble": members, "swa": swa},
              "seconds": {**seconds, "total": time.perf_counter() - started}, "reports": reports}  # fmt: skip
    write_json_atomic(os.path.join(folder, "scores", f"seed-{index}.json"), scores)
    return scores


def _interval(values):
    interval = mean_interval(values)
    return {"mean": interval.mean, "low": interval.low, "high": interval.high, "n": interval.n}


def _aggregate(reports):
    """The per-seed reports of one method -> the same structure with ``{mean, low, high, n}`` leaves."""
    first = reports[0]
    row = {"clean": {m: _interval([r["clean"][m] for r in reports]) for m in METRICS}}
    if first.get("shift"):
        row["shift"] = {"mean": {m: _interval([r["shift"]["mean"][m] for r in reports]) for m in METRICS},
                        "by_severity": {s: {m: _interval([r["shift"]["by_severity"][s][m] for r in reports])
                                            for m in METRICS} for s in first["shift"]["by_severity"]}}  # fmt: skip
    row["ood"] = {
        set_name: {detector: {score: _interval([r["ood"][set_name][detector][score] for r in reports])
                              for score in OOD_SCORES} for detector in detectors}
        for set_name, detectors in first.get("ood", {}).items()
    }  # fmt: skip
    if "temperature" in first:
        row["temperature"] = _interval([r["temperature"] for r in reports])
    row["seconds_test"] = _interval([r["seconds_test"] for r in reports])
    return row


def markdown(rows, spec):
    """The study's table: one row per method, mean ± half-width of the 95 % interval over seeds."""
    ood_sets = sorted({name for row in rows.values() for name in row["ood"]})
    header = ["method", "acc %", "NLL", "ECE", "aECE", "shift acc %", "shift NLL", "shift ECE", "shift aECE"]
    header += [f"AUROC {name}" for name in ood_sets]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for method, row in rows.items():
        clean, shift = row["clean"], (row.get("shift") or {}).get("mean", {})
        cells = [_plus_minus(clean["accuracy"], digits=2, scale=100), _plus_minus(clean["nll"]), _plus_minus(clean["ece"]),
                 _plus_minus(clean["adaptive_ece"]), _plus_minus(shift.get("accuracy"), digits=2, scale=100),
                 _plus_minus(shift.get("nll")), _plus_minus(shift.get("ece")), _plus_minus(shift.get("adaptive_ece"))]  # fmt: skip
        for set_name in ood_sets:
            detectors = row["ood"].get(set_name, {})
            # One detector for every row, so that the rows compare: the max probability (Hendrycks & Gimpel 2017).
            detector = detectors.get("max_probability")
            cells.append(_plus_minus(detector["auroc"] if detector else None))
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def cost_ratios(rows):
    """Each method's test-set prediction time over the deterministic model's (means over seeds)."""
    base = rows["deterministic"]["seconds_test"]["mean"]
    return {method: row["seconds_test"]["mean"] / base if base else None for method, row in rows.items()}


def run_study(task, base, spec, log=print):
    """Trains and scores an uncertainty study (module docstring); returns ``(folder, report)``.

    ``base``: the resolved config every run starts from; its seed is the first seed.
    """
    from kerasreg.engine.hardware import machine
    from kerasreg.engine.training import versions
    from kerasreg.plotting.shift import plot_shift

    spec.check(base)
    folder = study_dir(base, task, spec)
    _check_identity(folder, base, spec)
    configs = _run_configs(base, spec)
    _check_model(task, base, log)
    _train_all(task, folder, configs, log)
    per_seed = []
    for index in range(spec.seeds):
        path = os.path.join(folder, "scores", f"seed-{index}.json")
        scores = read_json(path)
        if scores is None:
            log(f"scoring seed {index + 1} of {spec.seeds}: clean, {len(spec.corruptions or ()) or 'all'} "
                "corruptions x 5 severities, OOD sets")  # fmt: skip
            scores = _score_seed(task, folder, configs, spec, index, log)
        per_seed.append(scores)
    rows = {method: _aggregate([s["reports"][method] for s in per_seed]) for method in METHODS}
    report = {
        "spec": {**dataclasses.asdict(spec), "corruptions": list(spec.corruptions) if spec.corruptions else None},
        "seeds": [configs[s["runs"]["deterministic"]].training.seed for s in per_seed],
        "rows": rows,
        "cost_ratio": cost_ratios(rows),
        "versions": versions(),
        "machine": machine(),
    }
    table = markdown(rows, spec)
    write_json_atomic(os.path.join(folder, "uncertainty.json"), report)
    from kerasreg.atomic_files import atomic_write

    with atomic_write(os.path.join(folder, "uncertainty.md")) as handle:
        handle.write(table)
    plot_shift(rows, os.path.join(folder, "shift.png"), title=f"{task.name}: accuracy and ECE under shift",
               intervals=True)  # fmt: skip
    report["table"] = table
    return folder, report


__all__ = ["METHODS", "UncertaintySpec", "cost_ratios", "markdown", "run_study", "study_dir"]
