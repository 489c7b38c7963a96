"""`train`: the one training path of every run — ``train``, comparison runs, ensemble members, tune trials.

A run goes through named steps: open (resume state, prepare, run
directory), callbacks (`training_callbacks`, the same list for every kind
of run), fit, evaluate (the test set, once), and record (``results.json``,
``model.keras``, ``inference.keras``, TensorBoard's final summary). A tune
trial is the same run with ``evaluate_test=False``: the search never sees
the test set, and its validation metrics are those ``train`` would get for
the same values and seed.
"""

import contextlib
import dataclasses
import math
import os
import platform
import shutil
import tempfile
import time

import keras
import numpy as np

from kerasreg.config import ConfigError, to_dict
from kerasreg.engine import checkpoint, multi_worker
from kerasreg.engine.calibration import inference_temperature, score_test_calibrated, summary_line
from kerasreg.engine.evaluation import inference_model
from kerasreg.engine.graph_memory import forget_custom_gradients
from kerasreg.engine.hardware import machine
from kerasreg.engine.noops import active_regularizers
from kerasreg.engine.preparation import prepare
from kerasreg.engine.progress import duration, fit_verbose
from kerasreg.engine.run_files import RUN_FILE, create_run_dir, write_json_atomic
from kerasreg.engine.snapshots import SnapshotSaver, snapshot_ensemble, snapshot_epochs
from kerasreg.layers.mc_mode import sampling_off
from kerasreg.version import __version__, code_identity


class TimeAndNaN(keras.callbacks.Callback):
    """Measures training wall time, in total and at the end of each epoch; stops at once on a NaN loss.

    Raising (rather than setting ``stop_training``) leaves the epoch
    unfinished, so the checkpoint is never written with the broken weights
    and the last one stays the last good one.

    Args:
        seconds: Training seconds before this process (a resumed run's).
        epoch_seconds: ``seconds`` at the end of each of those epochs, in
            order; None stands for an epoch whose time was not recorded
            (checkpoints written before these times were kept).
    """

    def __init__(self, seconds=0.0, epoch_seconds=()):
        super().__init__()
        self.seconds = seconds
        self.epoch_seconds = list(epoch_seconds)

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self.seconds += time.perf_counter() - self._start
        # One entry per epoch end, as the history gets one: the two line up.
        self.epoch_seconds.append(self.seconds)

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise FloatingPointError(
                f"the training loss became {float(loss)} at step {batch + 1} of epoch {self._epoch + 1}"
            )


# Metrics whose values are fractions in [0, 1] (suffixes count: binary_accuracy);
# a target of 95 for one of them is a percentage that no run would reach.
FRACTION_METRICS = ("accuracy", "auc", "precision", "recall")


def check_targets(targets, objective):
    """Raises `ConfigError` for a ``training.targets`` entry outside (0, 1] when ``objective`` is a fraction.

    Args:
        targets: The list ``training.targets``.
        objective: The run's `kerasreg.engine.losses.Objective`.
    """
    if not any(objective.metric == m or objective.metric.endswith("_" + m) for m in FRACTION_METRICS):
        return
    for target in targets:
        if not 0 < target <= 1:
            raise ConfigError(f"training.targets holds {target!r}, but {objective.name} is a fraction: "
                              f"targets must lie in (0, 1] (0.9 for 90 %)")  # fmt: skip


def time_to_target(targets, series, mode, epoch_seconds):
    """When the objective first reached each target: ``[{"target", "epoch", "seconds"}, ...]`` in ``targets``' order.

    Reached means ``value >= target`` for mode ``"max"`` and ``value <=
    target`` for ``"min"``. ``epoch`` counts from 1; ``seconds`` is the
    training time at that epoch's end (its validation included). Both are
    None for a target never reached; ``seconds`` also where that epoch's
    time was not recorded.

    Args:
        targets: The target values.
        series: The objective, one value per epoch (the run's history).
        mode: ``"max"`` or ``"min"``.
        epoch_seconds: Training seconds at the end of each epoch (None
            where unknown), as `TimeAndNaN` records them.

    Returns:
        A list of dicts, one per target.

    Example:

    >>> time_to_target([0.5, 0.9], [0.4, 0.6, 0.7], "max", [1.5, 3.0, 4.5])
    [{'target': 0.5, 'epoch': 2, 'seconds': 3.0}, {'target': 0.9, 'epoch': None, 'seconds': None}]
    """
    reached = (lambda value, target: value >= target) if mode == "max" else (lambda value, target: value <= target)
    records = []
    for target in targets:
        epoch = next((i + 1 for i, value in enumerate(series) if reached(value, target)), None)
        seconds = epoch_seconds[epoch - 1] if epoch is not None and epoch <= len(epoch_seconds) else None
        records.append({"target": target, "epoch": epoch, "seconds": seconds})
    return records


def versions():
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "backend": keras.backend.backend(),
        "kerasreg": __version__,
        # Which code made the result: a number measured before a fix differs in hash.
        "kerasreg_code": code_identity(),
    }


@dataclasses.dataclass
class Callbacks:
    """The callbacks of one run, in order, and the ones the engine reads afterwards."""

    all: list
    timer: TimeAndNaN
    saver: checkpoint.RunCheckpoint
    logger: object = None
    swa: object = None


def training_callbacks(config, prepared, run_dir, folder, state, best_weights=None, hparams=None, extra=(),
                       started=None):  # fmt: skip
    """The callback list every run trains with (see the module docstring); ``extra`` go last.

    ``state`` and ``best_weights`` are a resumed run's checkpoint (`checkpoint.load_state`,
    `checkpoint.restore`), ``{}`` and None for a fresh one. ``started``: the
    `time.perf_counter` the run's total time counts from (`train`), saved
    with each checkpoint so that a resumed run's total includes the time
    before the interruption.
    """
    from kerasreg.callbacks import Lookahead, StochasticWeightAveraging
    from kerasreg.reporting import RunLogger

    training = config.training
    timer = TimeAndNaN(state.get("train_seconds", 0.0), state.get("epoch_seconds", [None] * state.get("epoch", 0)))
    callbacks = [timer]
    if training.lookahead_steps:
        callbacks.append(Lookahead(training.lookahead_steps, prepared.steps_per_epoch * training.epochs,
                                   training.lookahead_decay, training.lookahead_power))  # fmt: skip
    logger = None
    if config.logging.tensorboard and prepared.chief:
        callbacks.append(keras.callbacks.TensorBoard(run_dir, write_graph=False, update_freq="epoch"))
        logger = RunLogger(run_dir, prepared.schedule, prepared.steps_per_epoch,
                           prepared.steps_per_epoch * training.epochs,
                           to_dict(config) if hparams is None else hparams, flat=hparams is not None)  # fmt: skip
        callbacks.append(logger)
    stopping = None
    if training.early_stopping_patience:
        objective = prepared.objective
        stopping = keras.callbacks.EarlyStopping(monitor=objective.name, mode=objective.mode,
                                                 patience=training.early_stopping_patience, restore_best_weights=True)  # fmt: skip
        callbacks.append(stopping)
    swa = None
    if training.swa_epochs:
        swa = StochasticWeightAveraging(training.epochs - training.swa_epochs, batch_norm_data=prepared.batch_norm_data)
        if state.get("swa"):
            swa.set_state(checkpoint.load_swa_state(os.path.join(folder, state["swa"])))
        callbacks.append(swa)  # before the checkpoint: it saves the epoch's average
    snapshots = snapshot_epochs(config)
    if snapshots:
        callbacks.append(SnapshotSaver(folder, snapshots))  # before the checkpoint that says the epoch is done
    saver = checkpoint.RunCheckpoint(folder, stopping, resumed=state, best_weights=best_weights,
                                     extra_state=lambda: _seconds(timer, started), swa=swa)  # fmt: skip
    callbacks.append(saver)  # after early stopping: it saves that epoch's decision
    callbacks.extend(extra)
    return Callbacks(callbacks, timer, saver, logger, swa)


def _seconds(timer, started):
    seconds = {"train_seconds": timer.seconds, "epoch_seconds": timer.epoch_seconds}
    if started is not None:
        seconds["total_seconds"] = time.perf_counter() - started
    return seconds


def _open_run_dir(config, task, prepared, resume_dir, run_dir, log):
    """Where the run writes: the resumed run's directory, a given one, or a new one under the logdir."""
    if not prepared.chief:
        # Only the chief (worker 0) writes the run; the others checkpoint to scratch.
        run_dir = tempfile.mkdtemp(prefix=f"kerasreg-worker{prepared.workers[1]}-")
        log(f"worker {prepared.workers[1]} of {prepared.workers[0]}: worker 0 writes the run")
        return run_dir
    if resume_dir:
        return resume_dir
    if run_dir is not None:
        os.makedirs(run_dir, exist_ok=True)
        if os.listdir(run_dir):
            raise ConfigError(f"run directory {run_dir} is not empty")
    else:
        run_dir = create_run_dir(config.logging.logdir, task.name, config)
    log(f"run directory: {run_dir}")
    write_json_atomic(os.path.join(run_dir, "config.json"), to_dict(config))
    write_json_atomic(os.path.join(run_dir, RUN_FILE), {"experiment": task.name, "reference": task.reference,
                                                         "model": task.describe_model(config)})  # fmt: skip
    return run_dir


def _fit(prepared, callbacks, *, epochs, initial_epoch, run_dir, folder, resume_dir, verbose):
    try:
        prepared.model.fit(prepared.train, validation_data=prepared.validation, epochs=epochs,
                           initial_epoch=initial_epoch, steps_per_epoch=prepared.steps_per_epoch,
                           callbacks=callbacks.all, verbose=verbose, shuffle=False)  # fmt: skip
    except BaseException as error:
        kept = checkpoint.load_state(folder) is not None
        if not prepared.chief or (not resume_dir and not kept):
            shutil.rmtree(run_dir, ignore_errors=True)
        if isinstance(error, FloatingPointError):
            where = f"the last good checkpoint is kept in {folder}" if kept else "no epoch had finished, nothing was kept"
            raise FloatingPointError(f"{error}; {where} (try a lower learning rate)") from None
        raise


def _finish_without_fit(model, best_weights, swa):
    # Killed after the last checkpoint but before the results: nothing left to train.
    if best_weights is not None:
        model.set_weights(best_weights)
    if swa is not None:  # what fit's end would have done: the average, then batch-norm statistics
        swa.set_model(model)
        swa.on_train_end()


def evaluate_test(prepared, config):
    """The test set, once: ``(metrics, labels, probabilities, calibration)``.

    Labels and probabilities are None for regression; ``calibration`` is
    the temperature fitted on the validation split with the test scores
    before and after it (`kerasreg.engine.calibration`), None without
    class probabilities.
    """
    return score_test_calibrated(prepared.model, config, prepared)


def _results(config, task, prepared, run_dir, history, done, timer, state, test_metrics, regularizers):
    epochs_run = len(history.get("loss", []))
    last = {k: v[-1] for k, v in history.items() if v}
    objective = prepared.objective
    series = history.get(objective.name, [])
    best_epoch = None
    if series:
        best_epoch = (max if objective.mode == "max" else min)(range(len(series)), key=series.__getitem__)
    images = prepared.num_train * (epochs_run - done)
    dataset = prepared.dataset
    results = {
        "recipe": task.name,
        "experiment": {"name": task.name, "reference": task.reference, "model": task.describe_model(config)},
        "run_dir": run_dir,
        "seed": config.training.seed,
        "config": to_dict(config),
        "versions": versions(),
        # Wall times and bfloat16 numerics depend on it: runs of one comparison may span machines.
        "machine": machine(),
        "data": {"source": dataset.source, "train": prepared.num_train, "validation": prepared.num_validation,
                 "test": 0 if dataset.x_test is None else int(len(dataset.x_test)),
                 "classes": list(dataset.class_names) if dataset.class_names else None},  # fmt: skip
        "regularizers": regularizers,
        "objective": {"name": objective.name, "mode": objective.mode,
                      "best": series[best_epoch] if best_epoch is not None else None,
                      "best_epoch": None if best_epoch is None else best_epoch + 1},  # fmt: skip
        "epochs_run": epochs_run,
        "history": history,
        "train": {k: v for k, v in last.items() if not k.startswith("val_") and k != "learning_rate"},
        "validation": {k[4:]: v for k, v in last.items() if k.startswith("val_")},
        "test": test_metrics,
        # Training only (the epochs, all processes of a resumed run); "total_seconds" adds the rest.
        "wall_time_seconds": timer.seconds,
        # Of this process's epochs: a resumed run's earlier epochs ran elsewhere.
        "images_per_second": images / (timer.seconds - state.get("train_seconds", 0.0)) if images else None,
        "parameters": int(prepared.model.count_params()),
    }
    if "val_accuracy" in history:
        results["best_validation_accuracy"] = float(max(history["val_accuracy"]))
    if config.training.targets:
        results["time_to_target"] = time_to_target(config.training.targets, series, objective.mode, timer.epoch_seconds)
    return results


def _record(run_dir, folder, prepared, results, logger, labels, probabilities, save_model, started):
    from kerasreg.reporting import confusion_matrix

    if logger is not None:
        final = {f"test_{k}": v for k, v in results["test"].items() if k in ("accuracy", "loss", "nll", "ece", "auc")}
        final.update({f"val_{k}": v for k, v in results["validation"].items() if k == "accuracy"})
        matrix, names = None, None
        if labels is not None and prepared.dataset.class_names:
            names = prepared.dataset.class_names
            matrix = confusion_matrix(labels, np.argmax(probabilities, axis=-1), len(names))
        logger.log_final(final, matrix, names)
        logger.close()
    # What the run directory holds, relative to it, for the summary to name.
    files = {"results": "results.json"}
    if save_model:
        prepared.model.save(os.path.join(run_dir, "model.keras"))
        temperature = (results.get("calibration") or {}).get("inference_model")
        inference_model(prepared.model, prepared.dataset, prepared.outputs, temperature).save(
            os.path.join(run_dir, "inference.keras"))  # fmt: skip
        files.update(model="model.keras", inference_model="inference.keras")
    if logger is not None:
        files["tensorboard"] = "."  # the run directory: its events and those of train/ and validation/
    if os.path.isdir(folder):
        files["resume"] = os.path.basename(folder)
    results["files"] = files
    # Everything but writing this file: data, model, training, test set, saved models.
    results["total_seconds"] = time.perf_counter() - started
    write_json_atomic(os.path.join(run_dir, "results.json"), results)


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run: ``run_dir`` is the run directory if it was kept (it holds a checkpoint), else None."""

    def __init__(self, run_dir):
        super().__init__(run_dir)
        self.run_dir = run_dir


@contextlib.contextmanager
def _named_when_interrupted(run_dir, chief):
    # A run interrupted before its first checkpoint removes its directory
    # (`_fit`): what is left to resume is known only here.
    try:
        yield
    except RunInterrupted:
        raise
    except KeyboardInterrupt:
        raise RunInterrupted(run_dir if chief and os.path.isdir(run_dir) else None) from None


def train(config, task, *, resume_dir=None, run_dir=None, hparams=None, log=print, callbacks=(), prepared=None,
          evaluate_test_set=True, save_model=True, epochs=None, initial_epoch=None, verbose=None,
          check_noops=True):  # fmt: skip
    """Runs one experiment; returns ``(run_dir, results)``.

    Everything that can fail on bad input fails before the run directory is
    created; a run that fails later removes its directory unless it already
    holds a checkpoint worth resuming. With ``resume_dir`` (a run directory
    holding ``config.json``, whose config this is), training continues from
    that run's last checkpoint and ends as the uninterrupted run would
    have. ``run_dir`` names the (new, or empty) directory of a fresh run
    instead of one under ``logging.logdir``. ``hparams`` (flat ``{name:
    value}``) replaces the flattened config as the run's TensorBoard
    HParams. ``callbacks`` are appended to the engine's own.

    For tune trials: ``prepared`` (the trial's `prepare`, already built),
    ``evaluate_test_set=False`` (never the test set), ``save_model=False``
    (KerasTuner keeps its own checkpoint), ``epochs``/``initial_epoch``
    (Hyperband's brackets). ``check_noops=False``: the caller checked the
    config's keys as part of a comparison (`kerasreg.engine.prepare`).
    ``verbose``: ``fit``'s; None chooses by `kerasreg.engine.progress`
    (a progress bar on a terminal, a line per epoch elsewhere).

    ``results["wall_time_seconds"]`` is the training time (the epochs);
    ``results["total_seconds"]`` the whole run, from this call to the
    results written (data, model, test set and saved models included); a
    resumed run's times include those before the interruption. With
    ``training.targets``, ``results["time_to_target"]`` says when the
    objective first reached each target (`time_to_target`), in epochs and
    on the training time's clock.
    """
    clock = time.perf_counter()
    # The code that makes the result is the code loaded now: fix its identity (cached for the process) before
    # a long run, so that files edited while it trains are not credited with it.
    code_identity()
    if verbose is None:
        verbose = fit_verbose()
    folder = checkpoint.folder_of(resume_dir) if resume_dir else None
    state = (checkpoint.load_state(folder) if resume_dir else None) or {}
    # Checkpoints written before total times were recorded: their training time is the best estimate.
    started = clock - state.get("total_seconds", state.get("train_seconds", 0.0))
    done = state.get("epoch", 0) if initial_epoch is None else initial_epoch
    last_epoch = config.training.epochs if epochs is None else epochs
    finished = state.get("stopped", False) or done >= last_epoch
    if prepared is None:
        prepared = prepare(config, task, first_epoch=0 if finished else done, check_noops=check_noops)
    # Needs the objective, which only the prepared run knows; still before the run directory exists.
    check_targets(config.training.targets, prepared.objective)
    model = prepared.model
    best_weights = checkpoint.restore(model, folder, state) if state else None
    regularizers = active_regularizers(config, model, prepared.dataset)
    log(f"{task.describe_model(config)}: active regularizers: {', '.join(regularizers) or 'none'}")
    run_dir = _open_run_dir(config, task, prepared, resume_dir, run_dir, log)
    with _named_when_interrupted(run_dir, prepared.chief):
        if resume_dir and prepared.chief:
            log(f"resuming run: {run_dir} (after epoch {done} of {config.training.epochs})")
        folder = checkpoint.folder_of(run_dir)
        log(f"TensorBoard:   tensorboard --logdir {config.logging.logdir}")
        parts = training_callbacks(config, prepared, run_dir, folder, state, best_weights, hparams, callbacks, started)
        # Validation, model selection and the test set score the model with its
        # inference-time sampling off: one random sample is noise, not a score.
        with sampling_off(model) as unsampled:
            if unsampled:
                log(f"scoring with MC sampling off in {', '.join(unsampled)} (validation, selection and test)")
                if prepared.workers is not None:
                    # `sampling_off` dropped the step functions multi-worker training puts in.
                    multi_worker.adapt_model(model, model.distribute_strategy)
            if finished:
                _finish_without_fit(model, best_weights, parts.swa)
            else:
                _fit(prepared, parts, epochs=last_epoch, initial_epoch=done, run_dir=run_dir, folder=folder,
                     resume_dir=resume_dir, verbose=verbose)  # fmt: skip
            history = parts.saver.history
            test_metrics, labels, probabilities, calibration = (
                evaluate_test(prepared, config) if evaluate_test_set else ({}, None, None, None))  # fmt: skip
            results = _results(config, task, prepared, run_dir, history, state.get("epoch", 0), parts.timer, state,
                               test_metrics, regularizers)  # fmt: skip
            if calibration is not None:
                calibration["inference_model"] = inference_temperature(model, config, prepared, calibration)
                results["calibration"] = calibration
            results["scored_without_sampling"] = unsampled
            snapshots = snapshot_epochs(config)
            if snapshots and evaluate_test_set and prepared.test is not None:
                results["snapshot_ensemble"] = snapshot_ensemble(model, config, prepared, folder, snapshots)
        if parts.swa is not None:
            results["swa"] = {"start_epoch": parts.swa.start_epoch, "snapshots": parts.swa.snapshots_averaged,
                              "learning_rate": config.training.swa_learning_rate or None}  # fmt: skip
        strategy = getattr(model, "distribute_strategy", None)  # TensorFlow's models only
        replicas = int(strategy.num_replicas_in_sync) if strategy is not None else 1
        if prepared.workers is not None:
            results["workers"] = prepared.workers[0]
        if prepared.workers is not None or replicas > 1:
            # Replicas the strategy synchronized: one per worker on CPUs, one per device under MirroredStrategy.
            results["replicas_in_sync"] = replicas
        if not prepared.chief:
            shutil.rmtree(run_dir, ignore_errors=True)
            results["run_dir"] = None
            return None, results
        _record(run_dir, folder, prepared, results, parts.logger, labels, probabilities, save_model, started)
        return run_dir, results


def train_into(run_dir, config, task, *, hparams=None, log=print, check_noops=True, evaluate_test_set=True,
               save_model=True):  # fmt: skip
    """Trains ``config`` into ``run_dir``, or finishes it there; returns ``(run_dir, results)``.

    For callers that run many runs in one process (comparisons, ensembles):
    a run with a checkpoint resumes from it, one interrupted before its
    first checkpoint starts afresh. The Keras session is cleared before and
    the run's traced graphs are released after (`graph_memory`).
    ``evaluate_test_set``/``save_model``: as `train`'s (off for a
    comparison's tuning runs).
    """
    resume = checkpoint.load_state(checkpoint.folder_of(run_dir)) is not None
    if not resume:
        shutil.rmtree(run_dir, ignore_errors=True)
    log(f"{'resuming' if resume else 'training'}: {run_dir}")
    keras.backend.clear_session()
    with forget_custom_gradients():
        return train(config, task, resume_dir=run_dir if resume else None, run_dir=None if resume else run_dir,
                     hparams=hparams, log=log, check_noops=check_noops, evaluate_test_set=evaluate_test_set,
                     save_model=save_model)  # fmt: skip


def summary_table(results, files=True):
    """The short table printed at the end of a run: scores, times and (``files``) the files the run wrote."""
    test, validation = results["test"], results["validation"]
    objective = results.get("objective") or {"name": "val_accuracy"}
    metric = objective["name"][4:]
    rows = []
    for name, value in test.items():
        if name not in ("nll", "brier", "ece", "adaptive_ece"):
            rows.append((f"test {name}", f"{value:.4f}"))
    if "nll" in test:
        rows.append(("test NLL / ECE", f"{test['nll']:.4f} / {test['ece']:.4f}"))
    calibration = results.get("calibration")
    if calibration:
        calibrated = " (in the inference model)" if calibration.get("inference_model") else ""
        rows.append((f"temperature scaling{calibrated}", summary_line(calibration)))
    if not test:
        rows.append(("test", "none (no test split)"))
    best = objective.get("best")
    rows.append((f"val {metric} (last / best)",
                 f"{validation.get(metric, float('nan')):.4f} / {best if best is not None else float('nan'):.4f}"))  # fmt: skip
    if "accuracy" in results["train"]:
        rows.append(("train accuracy", f"{results['train']['accuracy']:.4f}"))
    rows.append(("epochs", str(results["epochs_run"])))
    if results.get("total_seconds") is not None:  # not in results.json files written before it was recorded
        rows.append(("total time", f"{duration(results['total_seconds'])} (data, model, training, test set, saving)"))
    rows += [
        ("training time", duration(results["wall_time_seconds"])),
        ("examples/s", f"{results['images_per_second']:.0f}" if results["images_per_second"] else "-"),
        ("parameters", f"{results['parameters']:,}"),
    ]
    run_dir, written = results.get("run_dir"), (results.get("files") or {}) if files else {}
    for key, name in (("results", "results"), ("model", "model"), ("inference_model", "inference model"),
                      ("resume", "resume state")):  # fmt: skip
        if run_dir and key in written:
            rows.append((name, os.path.join(run_dir, written[key]) + (os.sep if key == "resume" else "")))
    if run_dir and "tensorboard" in written:
        logdir = os.path.normpath(os.path.join(run_dir, written["tensorboard"]))
        rows.append(("TensorBoard", f"tensorboard --logdir {logdir}"))
    snapshot = results.get("snapshot_ensemble")
    if snapshot:
        rows.insert(2, (f"snapshot ensemble of {len(snapshot['epochs'])}",
                        f"{snapshot['ensemble']['accuracy']:.4f} (NLL {snapshot['ensemble']['nll']:.4f}, "
                        f"epochs {', '.join(map(str, snapshot['epochs']))})"))  # fmt: skip
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)
