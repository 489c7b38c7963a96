"""`run_search`: a KerasTuner search over a recipe's config, with kerasreg's logging and results.

KerasTuner does the searching (its four tuners, its oracle, its retry and
failure accounting, its chief/worker mode); this module supplies what is
around it:

- `task_hypermodel`: ``build(hp)`` maps the sampled values onto the
  experiment's config (`SearchSpace.apply`) and builds through the same
  engine as ``train`` (`kerasreg.engine.prepare`); ``fit`` is the engine's
  own `kerasreg.engine.train` with the same callbacks as any run
  (Lookahead, early stopping, SWA, snapshots, NaN stop, checkpoints), the
  validation split carved from training data, and the test set never
  touched. Each trial is a run under
  ``logs/<experiment>/tune-<name>/trial-<id>/``: TensorBoard scalars and
  HParams of the tuned values (conditional ones inactive in a trial are
  logged as ``"inactive"``), ``config.json``, ``results.json`` and
  ``trial.json``.
- The objective is the experiment's (``val_accuracy`` unless it names
  another), the same metric early stopping and checkpoints select by.
- A NaN loss fails the trial (`keras_tuner.errors.FailedTrialError`) with
  the error recorded; the search goes on until ``max_consecutive_failures``.
- Optional median stopping (`MedianStopping`).
- Each trial's traced graphs are released when it ends
  (`kerasreg.engine.graph_memory`): memory stays flat across trials.
- Only the best trial's checkpoint is kept unless ``keep_checkpoints="all"``
  (Hyperband keeps every one until the search ends: later brackets resume
  from them).
- ``results.json`` / ``results.csv`` rewritten (atomically) after every
  trial; at the end the best trial is rebuilt from its checkpoint and
  evaluated on the test set once.
"""

import csv
import io
import json
import math
import os
import shutil
import statistics
import time
import warnings

import keras

from kerasreg.atomic_files import atomic_write
from kerasreg.config import ConfigError, to_dict, with_values
from kerasreg import engine
from kerasreg import internals
from kerasreg.layers.mc_mode import sampling_off
from kerasreg.engine.run_files import read_json, write_json_atomic
from kerasreg.schedules import with_run_length
from kerasreg.engine.graph_memory import forget_custom_gradients
from kerasreg.tuning.distribution import distributed, is_chief_or_alone
from kerasreg.tuning.tuners import TUNERS

# The objective of experiments that name none (classification).
OBJECTIVE = "val_accuracy"
# KerasTuner's own state (oracle, trials, checkpoints) inside the search folder.
PROJECT = "kerastuner"
INACTIVE = "inactive"


def search_dir(config, task, space):
    """``<logdir>/<experiment>/tune-<space name>``: the folder a search (and its rerun) uses."""
    return os.path.join(config.logging.logdir, task.name, f"tune-{space.name}")


def trial_dir(root, trial_id):
    return os.path.join(root, f"trial-{trial_id}")


def hparam_values(space, values):
    """Tuned values for TensorBoard's HParams: a conditional hyperparameter is text, ``"inactive"`` when off."""
    logged = {}
    for parameter in space.hyperparameters:
        value = values.get(parameter.name)
        if parameter.when:
            logged[parameter.name] = INACTIVE if value is None else str(value)
        else:
            logged[parameter.name] = value if value is not None else parameter.default
    return logged


def write_hparams_config(root, space, objective=OBJECTIVE):
    """The experiment-level HParams summary: every tuned hyperparameter and the validation metrics."""
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    hparams = []
    for parameter in space.hyperparameters:
        if parameter.when:
            domain = None
        elif parameter.type == "choice":
            domain = hp.Discrete(parameter.values)
        elif parameter.type == "bool":
            domain = hp.Discrete([False, True])
        elif parameter.type == "int":
            domain = hp.IntInterval(int(parameter.min), int(parameter.max))
        else:
            domain = hp.RealInterval(float(parameter.min), float(parameter.max))
        hparams.append(hp.HParam(parameter.name, domain))
    metric = objective[4:]
    metrics = [hp.Metric(f"epoch_{metric}", group="validation", display_name=f"val {metric}")]
    if metric != "loss":
        metrics.append(hp.Metric("epoch_loss", group="validation", display_name="val loss"))
    metrics.append(hp.Metric(f"epoch_{metric}", group="train", display_name=f"train {metric}"))
    writer = tf.summary.create_file_writer(root)
    with writer.as_default():
        hp.hparams_config(hparams=hparams, metrics=metrics)
    writer.close()


class MedianStopping(keras.callbacks.Callback):
    """Stops a trial whose ``monitor`` at epoch k is worse than the median of completed trials at epoch k.

    Median stopping rule of Google Vizier (Golovin et al., KDD 2017). The
    completed trials' histories are read from their ``trial.json`` under
    ``root``; the rule applies only once ``min_trials`` completed trials
    reached epoch k.

    Args:
        root: The search folder.
        monitor: A metric of the epoch logs (default ``val_accuracy``).
        min_trials: Completed trials needed at an epoch before the rule applies.
        mode: ``"max"`` (higher is better, the default) or ``"min"``.
    """

    def __init__(self, root, monitor=OBJECTIVE, min_trials=2, mode="max"):
        super().__init__()
        self.root, self.monitor, self.min_trials, self.mode = root, monitor, min_trials, mode
        self.stopped_epoch = None
        self._histories = None

    def on_train_begin(self, logs=None):
        self._histories = []
        for name in sorted(os.listdir(self.root)) if os.path.isdir(self.root) else []:
            record = read_json(os.path.join(self.root, name, "trial.json"))
            if record and record.get("status") == "COMPLETED":
                self._histories.append(record.get("history", {}).get(self.monitor, []))

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        reached = [history[epoch] for history in self._histories if len(history) > epoch]
        if value is None or len(reached) < self.min_trials:
            return
        median = statistics.median(reached)
        if (float(value) < median) if self.mode == "max" else (float(value) > median):
            self.stopped_epoch = epoch
            self.model.stop_training = True


def task_hypermodel(task, base, space, root, *, median_stopping=False, log=print):
    """A `keras_tuner.HyperModel` whose trials are runs of ``task`` (see the module docstring).

    Created here rather than at import so that importing `kerasreg.tuning`
    does not import KerasTuner.
    """
    import keras_tuner as kt

    class _TaskHyperModel(kt.HyperModel):
        def __init__(self):
            super().__init__(name=task.name)
            self.trial = None
            self._prepared = None

        def declare(self, hp):
            return space.declare(hp)

        def trial_config(self, values):
            config = space.apply(base, values)
            try:
                config.schedule = with_run_length(config.schedule, config.training.epochs)
            except ValueError as error:  # e.g. a sampled warmup as long as a sampled run: this trial fails
                raise ConfigError(str(error).splitlines()[0]) from None
            config.logging.tensorboard = base.logging.tensorboard
            return config

        def build(self, hp):
            values = space.declare(hp)
            try:
                config = self.trial_config(values)
                first = int(hp.values.get("tuner/initial_epoch", 0))
                # The space was checked for no-ops as a whole (`check_space`).
                self._prepared = engine.prepare(config, task, first_epoch=first, check_noops=False)
            except ConfigError as error:
                raise kt.errors.FailedTrialError(f"config rejected: {error}") from None
            self._values = values
            return self._prepared.model

        def fit(self, hp, model, *args, epochs=None, initial_epoch=0, callbacks=(), **kwargs):
            prepared, config = self._prepared, self._prepared.config
            objective = prepared.objective
            trial_id = self.trial.trial_id if self.trial is not None else "0"
            run_dir = trial_dir(root, trial_id)
            shutil.rmtree(run_dir, ignore_errors=True)  # a retried (interrupted) trial starts afresh
            stopper = MedianStopping(root, objective.name, mode=objective.mode) if median_stopping else None
            record = {"trial_id": trial_id, "hyperparameters": self._values, "status": "RUNNING",
                      "versions": engine.versions()}  # fmt: skip
            started = time.perf_counter()
            try:
                # The same training path as `train`: only the test set and the saved model are left out.
                _, results = engine.train(
                    config, task, run_dir=run_dir, prepared=prepared, hparams=hparam_values(space, self._values),
                    callbacks=([stopper] if stopper else []) + list(callbacks), evaluate_test_set=False,
                    save_model=False, epochs=epochs or config.training.epochs, initial_epoch=initial_epoch,
                    log=lambda *_: None, verbose=0,
                )  # fmt: skip
            except FloatingPointError as error:
                os.makedirs(run_dir, exist_ok=True)
                record.update(status="FAILED", error=str(error), seconds=time.perf_counter() - started)
                write_json_atomic(os.path.join(run_dir, "trial.json"), record)
                raise kt.errors.FailedTrialError(str(error)) from None
            record.update(
                status="COMPLETED",
                seconds=time.perf_counter() - started,
                history=results["history"],
                stopped_early_at_epoch=None if stopper is None or stopper.stopped_epoch is None
                else stopper.stopped_epoch + 1,
            )
            write_json_atomic(os.path.join(run_dir, "trial.json"), record)
            best = results["objective"]["best"]
            log(f"trial {trial_id}: {objective.name} {best if best is not None else math.nan:.4f} "
                f"({record['seconds']:.1f} s) {self._values}")  # fmt: skip
            return model.history

    return _TaskHyperModel()


def create_tuner(kind, model, root, *, max_trials, epochs, seed, max_consecutive_failures, keep_checkpoints="best",
                 on_trial_done=None, objective=None, log=None):  # fmt: skip
    """One of KerasTuner's tuners (`TUNERS`), continuing a search already in ``root`` (``overwrite=False``).

    ``log``: called with a line ``tune: trial k of N`` as each trial starts
    (KerasTuner's own display, which also clears the screen, is off).
    """
    import keras_tuner as kt

    if kind not in TUNERS:
        raise ConfigError(f"unknown tuner {kind!r}; choose from {', '.join(TUNERS)}")
    base = {"random": kt.RandomSearch, "grid": kt.GridSearch, "bayesian": kt.BayesianOptimization,
            "hyperband": kt.Hyperband}[kind]  # fmt: skip

    class _Tuner(base):
        def _populate_initial_space(self):
            # The space file declares every hyperparameter, conditional ones
            # included, so KerasTuner's discovery builds (a model, data and
            # all, per condition) are not needed.
            hp = self.oracle.get_space()
            model.declare(hp)
            self.oracle.update_space(hp)

        def _build_and_fit_model(self, trial, *args, **kwargs):
            self.hypermodel.trial = trial
            # The trial's traced train step would otherwise stay in memory
            # for the rest of the search (graph_memory's docstring).
            with forget_custom_gradients():
                return super()._build_and_fit_model(trial, *args, **kwargs)

        def on_trial_begin(self, trial):
            super().on_trial_begin(trial)
            if log is not None:
                log(trial_heading(self.oracle, trial, None if kind == "hyperband" else max_trials))

        def on_trial_end(self, trial):
            if not distributed():
                # KerasTuner writes the tuner's file after the oracle has ended the trial, and a rerun
                # reloads only where that file exists: killed in between, the first trial would run
                # again in a search started afresh. Written first, the rerun reloads and keeps it.
                self.save()
            super().on_trial_end(trial)
            # A distributed worker sees the oracle through gRPC only (no trial
            # list); the chief prunes when the search ends.
            if keep_checkpoints == "best" and kind != "hyperband" and not distributed():
                prune_checkpoints(self)
            if on_trial_done is not None:
                on_trial_done(self, trial)

    # KerasTuner prints each failed trial's traceback when its DEBUG flag is
    # on (the default); the error is recorded per trial instead (results.json).
    from keras_tuner.src import config as kt_config

    kt_config.DEBUG = False
    # A search killed mid-write must still reload (its oracle.json whole).
    internals.write_keras_tuner_state_atomically()
    objective = objective or engine.Objective(OBJECTIVE, "max")
    arguments = dict(objective=kt.Objective(objective.name, objective.mode), seed=seed, directory=root, project_name=PROJECT,
                     overwrite=False, max_consecutive_failed_trials=max_consecutive_failures)  # fmt: skip
    if kind == "hyperband":
        # max_trials does not bound Hyperband; its brackets follow from max_epochs.
        arguments.update(max_epochs=epochs, factor=3, hyperband_iterations=1)
    else:
        arguments.update(max_trials=max_trials)
    tuner = _Tuner(model, **arguments)
    _keep_ended_trials_ended(tuner.oracle)
    _defaults_first(tuner.oracle)
    return tuner


def trial_heading(oracle, trial, max_trials):
    """``tune: trial k of N (trial-<id>)``: k counts the search's trials, earlier runs' included; N is left out
    when unknown (Hyperband).

    A distributed worker's oracle is a client without the trial list: its
    line names the trial only. (Lines starting ``trial`` are the trials'
    results.)
    """
    if distributed():
        return f"tune: trial-{trial.trial_id}"
    number = len(oracle.trials)
    return f"tune: trial {number}{f' of {max_trials}' if max_trials else ''} (trial-{trial.trial_id})"


def _keep_ended_trials_ended(oracle):
    """Takes trials that had ended off the retry queue of a reloaded oracle.

    KerasTuner's ``end_trial`` saves the oracle before it takes the trial
    off its ongoing list, and a reload sends every ongoing trial for retry:
    a search killed just after a trial ended (while its results were being
    written, say) would run that trial again. A trial whose own record says
    COMPLETED or FAILED has ended; interrupted (RUNNING) and INVALID ones
    are still retried.
    """
    queue = internals.oracle_retry_queue(oracle)
    if not queue:  # a new search, or a distributed worker's client
        return
    ended = {"COMPLETED", "FAILED"}
    queue[:] = [trial_id for trial_id in queue if oracle.trials[trial_id].status not in ended]


def _defaults_first(oracle):
    """Makes the first trial of a new search use every default: the plain recipe.

    KerasTuner's grid search does so already; its random, Bayesian and
    Hyperband oracles draw their values with a private method
    (`internals.oracle_value_drawer`), which this wraps for the first trial only.
    """
    draw = internals.oracle_value_drawer(oracle)
    if draw is None:  # a distributed worker's client: the chief's oracle decides
        return

    def first_defaults():
        if oracle.trials:
            return draw()
        space = oracle.get_space()
        return {hp.name: hp.default for hp in space.space if space.is_active(hp)}

    internals.set_oracle_first_values(oracle, first_defaults)


def prune_checkpoints(tuner):
    """Deletes every trial checkpoint but the best trial's (KerasTuner keeps one per trial)."""
    best = tuner.oracle.get_best_trials(1)
    keep = best[0].trial_id if best else None
    for trial_id in tuner.oracle.trials:
        if trial_id == keep:
            continue
        folder = tuner.get_trial_dir(trial_id)
        for name in ("checkpoint.weights.h5", "checkpoint"):
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                os.remove(path)


def trial_rows(tuner, root, space, objective=None):
    """One dict per trial, in trial order: id, status, values, the objective at its best epoch, seconds, error."""
    objective = objective or engine.Objective(OBJECTIVE, "max")
    rows = []
    for trial_id, trial in sorted(tuner.oracle.trials.items(), key=lambda item: int(item[0]) if item[0].isdigit() else 0):
        record = read_json(os.path.join(trial_dir(root, trial_id), "trial.json")) or {}
        history = record.get("history", {})
        values = {name: trial.hyperparameters.values.get(name) for name in space.names()
                  if name in trial.hyperparameters.values and trial.hyperparameters.is_active(name)}  # fmt: skip
        best_epoch = None
        series = history.get(objective.name)
        if series:
            best_epoch = (max if objective.mode == "max" else min)(range(len(series)), key=series.__getitem__)
        status = trial.status if isinstance(trial.status, str) else str(trial.status)
        message = record.get("error") or ((trial.message or "").strip().splitlines() or [""])[-1]
        rows.append({
            "trial_id": trial_id,
            "status": status,
            "hyperparameters": values,
            "objective": series[best_epoch] if best_epoch is not None else None,
            "val_accuracy": history["val_accuracy"][best_epoch] if best_epoch is not None and "val_accuracy" in history
            else None,
            "val_loss": history["val_loss"][best_epoch] if best_epoch is not None and "val_loss" in history else None,
            "best_epoch": None if best_epoch is None else best_epoch + 1,
            "epochs": len(history.get("loss", [])),
            "stopped_early_at_epoch": record.get("stopped_early_at_epoch"),
            "seconds": record.get("seconds"),
            "error": message if status in ("FAILED", "INVALID") else None,
            "tuner": {k: v for k, v in trial.hyperparameters.values.items() if k.startswith("tuner/")},
        })  # fmt: skip
    return rows


def write_results(root, space, rows, extra=None, objective=None):
    """``results.json`` (everything) and ``results.csv`` (one row per trial), each written atomically."""
    objective = objective or engine.Objective(OBJECTIVE, "max")
    payload = {"search": space.name, "objective": objective.name, "objective_mode": objective.mode, "trials": rows,
               **(extra or {})}  # fmt: skip
    write_json_atomic(os.path.join(root, "results.json"), payload)
    buffer = io.StringIO()
    names = space.names()
    writer = csv.writer(buffer)
    writer.writerow(["trial_id", "status", *names, objective.name, "val_loss", "best_epoch", "epochs",
                     "stopped_early_at_epoch", "seconds", "error"])  # fmt: skip
    for row in rows:
        values = [row["hyperparameters"].get(name, INACTIVE) for name in names]
        writer.writerow([row["trial_id"], row["status"], *values, row["objective"], row["val_loss"],
                         row["best_epoch"], row["epochs"], row["stopped_early_at_epoch"], row["seconds"],
                         row["error"] or ""])  # fmt: skip
    with atomic_write(os.path.join(root, "results.csv")) as handle:
        handle.write(buffer.getvalue())


def check_space(task, base, space):
    """Refuses a search over a key that changes nothing: each unconditional hyperparameter is tried at its
    values (a float or int at both ends) on ``base``, and a value that acts in none of them is an error.

    Conditional hyperparameters act only with their parents' values and are
    left to the trials; so are values whose config is invalid on its own.
    """
    configs, values = {}, {}
    for parameter in space.hyperparameters:
        if parameter.when:
            continue
        tried = parameter.values if parameter.type == "choice" else [False, True] if parameter.type == "bool" else [
            parameter.min, parameter.max]  # fmt: skip
        for value in tried:
            name = f"{parameter.name}={value}"
            try:
                configs[name] = with_values(base, {parameter.name: value}, origin="the search space")
            except ConfigError:
                continue
            values[name] = {parameter.name: value}
    if configs:
        engine.check_variant_noops(task, configs, values, task.load_data(base))


class SearchStopped(RuntimeError):
    """The search stopped on its own terms (too many consecutive failed trials); one line for the user."""


def _identity(kind, space, base, max_trials):
    import dataclasses

    return {"tuner": kind, "max_trials": max_trials,
            "space": [dataclasses.asdict(h) for h in space.hyperparameters], "config": to_dict(base)}  # fmt: skip


def train_command(prefix, values):
    """The ready-to-run ``train`` command of a trial: ``prefix`` plus one ``--set`` per tuned value."""
    import shlex

    parts = list(prefix)
    for name, value in values.items():
        literal = json.dumps(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else repr(value)
        parts += ["--set", f"{name}={literal}"]
    return " ".join(shlex.quote(p) for p in parts)


def top_table(rows, k=5, objective=None):
    """The ``k`` best completed trials as a text table (best first)."""
    objective = objective or engine.Objective(OBJECTIVE, "max")
    sign = -1 if objective.mode == "max" else 1
    done = sorted((r for r in rows if r["objective"] is not None), key=lambda r: sign * r["objective"])[:k]
    title = objective.name.replace("val_", "val ")
    loss = objective.name != "val_loss"  # the val loss column, unless it is the objective already
    lines = [f"{'trial':>6}  {title:>12}  " + (f"{'val loss':>8}  " if loss else "") + f"{'epochs':>6}  hyperparameters"]
    for row in done:
        values = ", ".join(f"{k}={v}" for k, v in row["hyperparameters"].items())
        cells = f"{row['trial_id']:>6}  {row['objective']:12.4f}  "
        if loss:
            cells += f"{row['val_loss'] or math.nan:8.4f}  "
        lines.append(f"{cells}{row['epochs']:>6}  {values}")
    failed = sum(r["status"] in ("FAILED", "INVALID") for r in rows)
    lines.append(f"{len(rows)} trials, {failed} failed")
    return "\n".join(lines)


def run_search(task, base, space, *, kind="random", max_trials=10, max_consecutive_failures=3,
               median_stopping=False, keep_checkpoints="best", command_prefix=(), log=print,
               trial_end_hook=None):  # fmt: skip
    """Runs (or continues) a search; returns ``(search folder, results)`` (results None on a worker).

    Rerunning the same command continues the search in the same folder:
    completed trials are kept and an interrupted one is retried
    (KerasTuner's reload). A folder holding a different search (tuner,
    trial count, space or base config changed) is refused. The test set is
    evaluated once, for the best trial, when the search completes; a
    finished search rerun only reports. ``trial_end_hook(trial)`` is
    called after each trial this process ran (benchmarks use it).
    """
    root = search_dir(base, task, space)
    objective = task.objective_for(base)
    identity = _identity(kind, space, base, max_trials)
    chief = is_chief_or_alone()
    results_path = os.path.join(root, "results.json")
    if chief:
        previous = read_json(os.path.join(root, "search.json"))
        if previous is not None and previous != identity:
            changed = [k for k in identity if previous.get(k) != identity[k]]
            raise ConfigError(f"{root} holds a different search ({', '.join(changed)} changed); "
                              "rename the space (name = ...) or delete that folder")  # fmt: skip
        finished = read_json(results_path)
        if finished and finished.get("best", {}).get("test") is not None:
            log(f"search {space.name} already finished; its results: {results_path}")
            return root, finished
        check_space(task, base, space)
        os.makedirs(root, exist_ok=True)
        if previous is None:
            write_hparams_config(root, space, objective.name)
            write_json_atomic(os.path.join(root, "search.json"), identity)
    else:
        os.makedirs(root, exist_ok=True)

    model = task_hypermodel(task, base, space, root, median_stopping=median_stopping, log=log)
    alone = not distributed()

    def on_trial_done(tuner, trial):
        if trial_end_hook is not None:
            trial_end_hook(trial)
        if alone:  # workers see the oracle through gRPC only; the chief writes at the end
            write_results(root, space, trial_rows(tuner, root, space, objective), {"tuner": kind, "complete": False},
                          objective)

    tuner = create_tuner(kind, model, root, max_trials=max_trials, epochs=base.training.epochs,
                         seed=base.training.seed, max_consecutive_failures=max_consecutive_failures,
                         keep_checkpoints=keep_checkpoints, on_trial_done=on_trial_done, objective=objective,
                         log=log)  # fmt: skip
    try:
        tuner.search(verbose=0)
    except RuntimeError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if "consecutive failures" not in first:
            raise
        rows = trial_rows(tuner, root, space, objective)
        if chief:
            write_results(root, space, rows, {"tuner": kind, "complete": False}, objective)
        last = next((r["error"] for r in reversed(rows) if r["error"]), "")
        raise SearchStopped(f"{first.rstrip('.')}; last error: {last} (see {results_path})") from None
    if not chief:
        return root, None

    rows = trial_rows(tuner, root, space, objective)
    if keep_checkpoints == "best":
        prune_checkpoints(tuner)
    best_trials = tuner.oracle.get_best_trials(1)
    extra = {"tuner": kind, "complete": True, "versions": engine.versions(), "config": to_dict(base)}
    if best_trials:
        best = best_trials[0]
        values = next(r["hyperparameters"] for r in rows if r["trial_id"] == best.trial_id)
        model.trial = best
        with warnings.catch_warnings():
            # The checkpoint holds the trial's optimizer state too; scoring the model needs none of it.
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            best_model = tuner.load_model(best)
        prepared = model._prepared
        with sampling_off(best_model):
            test, _, _, calibration = engine.score_test_calibrated(best_model, prepared.config, prepared)
        extra["best"] = {
            "trial_id": best.trial_id,
            "hyperparameters": values,
            "objective": {"name": objective.name,
                          "value": next(r["objective"] for r in rows if r["trial_id"] == best.trial_id)},
            "validation_accuracy": next(r["val_accuracy"] for r in rows if r["trial_id"] == best.trial_id),
            "test": test,
            # Fitted on the trial's validation split, as in every run.
            "calibration": calibration,
            "command": train_command(command_prefix, values),
        }
    write_results(root, space, rows, extra, objective)
    return root, read_json(results_path)
