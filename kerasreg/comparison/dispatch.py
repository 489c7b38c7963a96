"""Tuned and multi-machine comparisons: every run of a comparison as a KerasTuner trial.

A comparison with ``[tune]`` (`kerasreg.comparison.spec`), or one started
with KerasTuner's chief/worker variables (``--distributed``), hands its
runs out through a KerasTuner oracle (`comparison_oracle`) instead of
running them in a loop:

1. **Tuning runs**: for each variant, its ``trials`` points of its space
   (`kerasreg.tuning.space.grid_points` / ``random_points``), drawn before
   the first run, so every variant gets the same budget. A tuning run
   trains at the tuning seed into ``<variant>/tuning/trial-<k>/``, selects
   on the validation split and never touches the test set.
2. **Final runs**: once a variant's tuning runs have ended, its seeds run
   at the values of its best tuning run (the first on a tie), as ordinary
   runs into ``<variant>/seed-<s>/`` (test set scored once each). Without
   ``[tune]`` this is the whole comparison.

In one process the tuner runs them in that order. With a chief and
workers, the chief runs the oracle and each worker asks it for the next
run; the comparison folder must be storage every machine sees. A worker
that is killed leaves its finished runs in place; its interrupted run is
handed to it again when it restarts with the same ``--tuner-id`` (and
resumes from its checkpoint), or to any worker after the chief restarts.
Each worker rewrites the table files after each of its final runs; the
chief writes ``tuning.json``, the table with each variant's tuned values
and TensorBoard's copy when every run has ended.
"""

import json
import math
import os
import re
import time

from kerasreg.comparison.reports import ComparisonResult, collect_runs, write_report
from kerasreg.comparison.spec import Variant, tuning_budget, variant_space
from kerasreg.comparison.variants import flat_config, variant_config
from kerasreg import engine
from kerasreg.engine.progress import duration
from kerasreg.engine.run_files import read_json, write_json_atomic
from kerasreg.tuning.distribution import distributed, is_chief_or_alone
from kerasreg.tuning.space import grid_points, random_points

# KerasTuner's own state (oracle and trial records) inside the comparison folder.
PROJECT = "kerastuner"
TUNE, FINAL = "tune", "final"


def tuning_plan(spec, base, origin):
    """``{variant: [values, ...]}``: every variant's tuning points, drawn now (empty lists without ``[tune]``)."""
    if spec.tune is None:
        return {v.name: [] for v in spec.variants}
    budget = tuning_budget(origin, spec, base)
    plan = {}
    for variant in spec.variants:
        space = variant_space(spec, variant, base, origin)
        if spec.tune.tuner == "grid":
            plan[variant.name] = grid_points(space, f"comparison file {origin}")
        else:
            plan[variant.name] = random_points(space, budget[variant.name], spec.tune.seed_for(base.training.seed))
    return plan


def best_point(trials, mode):
    """``(values, objective)`` of the best ended tuning trial, the earliest on a tie; ``(None, None)`` if none scored.

    ``trials``: ``[(index, values, objective or None)]``.
    """
    scored = [(index, values, score) for index, values, score in trials if score is not None and math.isfinite(score)]
    if not scored:
        return None, None
    sign = -1 if mode == "max" else 1
    _, values, score = min(scored, key=lambda item: (sign * item[2], item[0]))
    return values, score


def comparison_oracle(plan, variants, seeds, objective, seed):
    """A `keras_tuner.Oracle` handing out ``plan``'s tuning runs, then each variant's final runs (see above).

    A trial's values: ``variant``, ``stage`` (``tune``/``final``),
    ``index`` (the tuning point or the seed) and ``values`` (JSON of the
    config values it sets on the variant's). Created here so that importing
    this module does not import KerasTuner.
    """
    import keras_tuner as kt

    total = sum(len(points) for points in plan.values()) + len(variants) * len(seeds)

    class ComparisonOracle(kt.Oracle):
        def __init__(self):
            super().__init__(objective=kt.Objective(objective.name, objective.mode), max_trials=total, seed=seed,
                             max_consecutive_failed_trials=total + 1)  # fmt: skip

        def _runs(self):
            """``{(variant, stage, index): trial}`` of every trial handed out so far."""
            runs = {}
            for trial in self.trials.values():
                values = trial.hyperparameters.values
                if "variant" in values:
                    runs[(values["variant"], values["stage"], values["index"])] = trial
            return runs

        def tuned(self, variant, runs=None):
            """The variant's tuning as ``(values, objective, ended)``; values None until it is known."""
            runs = self._runs() if runs is None else runs
            trials = [runs.get((variant, TUNE, k)) for k in range(len(plan[variant]))]
            ended = all(t is not None and t.status in ("COMPLETED", "FAILED", "INVALID") for t in trials)
            if not plan[variant]:
                return {}, None, True
            scored = [(k, plan[variant][k], t.score if t is not None and t.status == "COMPLETED" else None)
                      for k, t in enumerate(trials)]  # fmt: skip
            values, score = best_point(scored, objective.mode)
            return (values if ended else None), score, ended

        def populate_space(self, trial_id):
            runs = self._runs()
            # Tuning runs, point-major (point k of every variant, then k + 1): a cut-short tuning stays balanced.
            for k in range(max((len(points) for points in plan.values()), default=0)):
                for variant in variants:
                    if k < len(plan[variant]) and (variant, TUNE, k) not in runs:
                        return self._running(variant, TUNE, k, plan[variant][k])
            waiting = False
            for s in seeds:  # final runs seed-major, as a comparison without tuning
                for variant in variants:
                    if (variant, FINAL, s) in runs:
                        continue
                    values, _, ended = self.tuned(variant, runs)
                    if not ended:
                        waiting = True
                    elif values is not None:
                        return self._running(variant, FINAL, s, values)
            return {"status": "IDLE" if waiting else "STOPPED"}

        def _running(self, variant, stage, index, values):
            return {"status": "RUNNING",
                    "values": {"variant": variant, "stage": stage, "index": index,
                               "values": json.dumps(values, sort_keys=True)}}  # fmt: skip

    return ComparisonOracle()


def _tuning_config(base, variant, values, seed):
    return variant_config(base, Variant(variant.name, {**variant.values, **values}), seed)


def comparison_tuner(task, base, spec, root, plan, seeds, *, log=print, on_final=None):
    """The `keras_tuner.Tuner` whose trials are the comparison's runs (``run_trial`` trains one)."""
    import keras_tuner as kt

    objective = task.objective_for(base)
    tune_seed = spec.tune.seed_for(base.training.seed) if spec.tune is not None else None
    oracle = comparison_oracle(plan, [v.name for v in spec.variants], seeds, objective, base.training.seed)
    total = oracle.max_trials

    class ComparisonTuner(kt.Tuner):
        def __init__(self):
            # The runs' folders hold what has been done (results.json: finished; a checkpoint: resumable), so the
            # chief starts a fresh oracle each time and every run is handed out again: finished ones are read
            # back in a moment, and failed ones are retried. Workers keep the folder: the chief's oracle is in it.
            super().__init__(oracle=oracle, hypermodel=None, directory=root, project_name=PROJECT,
                             overwrite=is_chief_or_alone())  # fmt: skip
            self.began = True
            self.durations = []

        def pre_create_trial(self):
            # The oracle answers IDLE while a variant's tuning runs end elsewhere; ask again in a while.
            if not self.began:
                time.sleep(2)
            self.began = False

        def on_trial_begin(self, trial):
            self.began = True
            super().on_trial_begin(trial)

        def run_trial(self, trial, *args, **kwargs):
            hp = trial.hyperparameters.values
            variant = spec.variant(hp["variant"])
            values = json.loads(hp["values"])
            shown = ", ".join(f"{k}={v}" for k, v in values.items())
            tuning = hp["stage"] == TUNE
            if tuning:
                what = f"{variant.name} tuning {hp['index'] + 1} of {len(plan[variant.name])}"
                heading = f"run {int(trial.trial_id) + 1} of {total}: {what} ({shown}; seed {tune_seed})"
                run_dir = os.path.join(root, variant.folder, "tuning", f"trial-{hp['index']}")
                config = _tuning_config(base, variant, values, tune_seed)
            else:
                what = f"{variant.name} seed {hp['index']}"
                heading = f"run {int(trial.trial_id) + 1} of {total}: {what}" + (f" at {shown}" if values else "")
                run_dir = os.path.join(root, variant.folder, f"seed-{hp['index']}")
                config = _tuning_config(base, variant, values, hp["index"])
            results = read_json(os.path.join(run_dir, "results.json"))
            if results is not None:
                log(f"{heading}: done already")
            else:
                log(heading)
                started = time.perf_counter()
                try:
                    if tuning:  # the validation split only: no test set, no saved model
                        _, results = engine.train_into(run_dir, config, task, log=lambda *_: None, check_noops=False,
                                                       evaluate_test_set=False, save_model=False)  # fmt: skip
                    else:
                        hparams = {**flat_config(config), "variant": variant.name}
                        _, results = engine.train_into(run_dir, config, task, hparams=hparams, log=log,
                                                       check_noops=False)  # fmt: skip
                except FloatingPointError as error:
                    log(f"{what}: failed: {error}")
                    raise kt.errors.FailedTrialError(str(error)) from None
                best = results["objective"]["best"]
                score = best if tuning else results["test"].get(objective.metric, best)
                name = objective.name if tuning else f"test {objective.metric}"
                log(f"{what}: {name} {score if score is not None else math.nan:.4f} "
                    f"({duration(time.perf_counter() - started)})")
                if not tuning and on_final is not None:
                    on_final()
            best = results["objective"]["best"]
            if best is None and tuning:
                raise kt.errors.FailedTrialError(f"no {objective.name} to select by (no validation split?)")
            return {objective.name: best if best is not None else 0.0}

    from keras_tuner.src import config as kt_config

    # Each failed run's error is recorded (comparison.json "failed"); KerasTuner's traceback print is off.
    kt_config.DEBUG = False
    return ComparisonTuner()


def tuning_record(oracle, spec, plan, objective, tune_seed):
    """What ``tuning.json`` holds: per variant, each tuning run's values and objective, and the best."""
    runs = oracle._runs()
    record = {"tuner": spec.tune.tuner, "trials": {v: len(p) for v, p in plan.items()}, "seed": tune_seed,
              "objective": objective.name, "variants": {}}  # fmt: skip
    for variant in spec.variants:
        trials = []
        for k, values in enumerate(plan[variant.name]):
            trial = runs.get((variant.name, TUNE, k))
            status = None if trial is None else str(trial.status)
            trials.append({"index": k, "values": values, "status": status,
                           "objective": trial.score if trial is not None and status == "COMPLETED" else None})  # fmt: skip
        best, score = oracle.tuned(variant.name, runs)[:2]
        record["variants"][variant.name] = {"best": best, "objective": score, "trials": trials}
    return record


def failures(oracle, spec, plan):
    """The comparison's failed runs (``{"variant", "seed" or "tuning", "error"}``) as the oracle records them."""
    failed = []
    for trial in oracle.trials.values():
        values = trial.hyperparameters.values
        if "variant" not in values or str(trial.status) not in ("FAILED", "INVALID"):
            continue
        message = ((trial.message or "").strip().splitlines() or [""])[-1]
        message = re.sub(r"^[\w.]*FailedTrialError: ", "", message)  # KerasTuner records the exception's name
        where = {"seed": values["index"]} if values["stage"] == FINAL else {"tuning": values["index"]}
        failed.append({"variant": values["variant"], **where, "error": message})
    runs = oracle._runs()
    for variant in spec.variants:
        best, _, ended = oracle.tuned(variant.name, runs)
        if plan[variant.name] and ended and best is None:
            failed.append({"variant": variant.name, "tuning": None,
                           "error": "every tuning run failed, so its seeds did not run"})  # fmt: skip
    return failed


def _tuned_from_runs(root, spec, seeds):
    """``{variant: values}`` of the tuned keys as a variant's final runs recorded them (a worker has no
    ``tuning.json`` until the chief writes it at the end)."""
    found = {}
    for variant in spec.variants:
        keys = list(spec.tuned_tables(variant))
        for seed in seeds:
            config = read_json(os.path.join(root, variant.folder, f"seed-{seed}", "config.json"))
            if config is not None:
                found[variant.name] = {key: config[key.split(".", 1)[0]].get(key.split(".", 1)[1]) for key in keys}
                break
    return found


def _bests(record):
    """``{variant: values}``: each variant's best tuning values in a ``tuning.json`` record."""
    return {variant: kept["best"] for variant, kept in record["variants"].items()}


def tuned_values(root, spec, seeds):
    """``{variant: values}`` of the tuned keys in the comparison folder ``root``: ``tuning.json``'s bests, else
    (before the chief has written it) as ``seeds``' final runs recorded them; None for an untuned comparison."""
    record = read_json(os.path.join(root, "tuning.json"))
    if record is not None:
        return _bests(record)
    return _tuned_from_runs(root, spec, seeds) if spec.tune is not None else None


def run_dispatched(task, base, spec, root, seeds, *, origin, log=print):
    """Runs (or continues) a tuned or multi-machine comparison; returns a `ComparisonResult` (report None on a worker)."""
    objective = task.objective_for(base)
    metric = objective.metric
    plan = tuning_plan(spec, base, origin)
    chief = is_chief_or_alone()
    alone = not distributed()
    tune_seed = spec.tune.seed_for(base.training.seed) if spec.tune is not None else None

    def on_final():
        # Every process that finishes a final run rewrites the table (atomically); the chief's last write is whole.
        write_report(root, spec, collect_runs(root, spec, seeds), tensorboard=alone, metric=metric,
                     tuned=tuned_values(root, spec, seeds))  # fmt: skip

    tuner = comparison_tuner(task, base, spec, root, plan, seeds, log=log, on_final=on_final if not chief or alone
                             else None)  # fmt: skip
    if spec.tune is not None and alone:
        # A single process knows each variant's best as soon as its tuning ends: record it before its seeds.
        original = tuner.oracle.end_trial

        def end_trial(trial):
            original(trial)
            write_json_atomic(os.path.join(root, "tuning.json"),
                              tuning_record(tuner.oracle, spec, plan, objective, tune_seed))  # fmt: skip

        tuner.oracle.end_trial = end_trial
    tuner.search(verbose=0)
    if not chief:
        return ComparisonResult(root, None, [])
    failed = failures(tuner.oracle, spec, plan)
    tuned = None
    if spec.tune is not None:
        record = tuning_record(tuner.oracle, spec, plan, objective, tune_seed)
        write_json_atomic(os.path.join(root, "tuning.json"), record)
        tuned = _bests(record)
    report = write_report(root, spec, collect_runs(root, spec, seeds), failed, metric=metric, tuned=tuned)
    return ComparisonResult(root, report, failed)
