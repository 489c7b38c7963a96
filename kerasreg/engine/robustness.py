"""Uncertainty under shift: predictors scored on clean, corrupted and out-of-distribution data.

A *predictor* turns raw examples (``uint8`` images as stored) into class
probabilities: one model (with the run's test-time augmentation), the
mean of Monte Carlo dropout samples, or the mean of an ensemble's members.
`score_predictors` scores each of them on the same data:

- ``clean``: the test set (accuracy, NLL, Brier score, ECE, adaptive ECE);
- ``shift``: CIFAR-10-C-style corruptions of the test images
  (`kerasreg.uncertainty.corruptions`) at each severity, their mean, and
  the mean per severity. Each severity scores ``examples`` test images
  (by default a fifth of the test set, the five severities of a corruption
  then cover it once, so a corruption costs about one test-set pass);
- ``ood``: out-of-distribution detection (AUROC, AUPR, FPR at 95 % TPR) of
  synthetic noise images and, for an open-set run (``data.known_classes``),
  the test images of the held-out classes, against the clean test set,
  scored by one minus the max probability, the entropy, and (for MC and
  ensembles) the mutual information.

A predictor with ``calibrate=True`` also yields a ``+temperature`` report:
the same predictions rescaled by the temperature fitted on its validation
predictions (`kerasreg.engine.calibration`). Every corrupted set is made
once and handed to each predictor in turn, and is the same for every run
of one seed.
"""

import dataclasses
import os
import time

import numpy as np

from kerasreg.engine import calibration
from kerasreg.engine.evaluation import prediction_scores
from kerasreg.uncertainty.mc_sampling import entropy as _entropy

# The detectors of `ood_report`, each a score that is higher for inputs less like the training data.
DETECTORS = ("max_probability", "entropy", "mutual_information")


@dataclasses.dataclass
class Predictor:
    """``predict(x) -> (probabilities (N, C), mutual information (N,) or None)`` of raw examples ``x``."""

    name: str
    predict: object
    calibrate: bool = False


@dataclasses.dataclass
class EvaluationData:
    """The raw arrays a predictor is scored on: the validation split, the test set, and the OOD sets."""

    x_validation: np.ndarray
    y_validation: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    ood: dict  # {name: x}


def model_predictor(name, model, config, prepared, calibrate=False):
    """A `Predictor` of ``model`` with the run's test-time augmentation (`kerasreg.engine.evaluation_model`)."""
    from kerasreg.engine.evaluation import evaluation_model
    from kerasreg.engine.preparation import model_inputs

    evaluated = evaluation_model(model, config, metrics=())
    batch_size = config.training.batch_size

    def predict(x):
        # `predict_on_batch` compiles the predict step once and reuses it (any backend), without the data
        # adapter `predict` builds on every call: many calls of a few batches each are the rule here.
        outputs = [np.asarray(evaluated.predict_on_batch(model_inputs(x[start:start + batch_size], prepared.dataset)))
                   for start in range(0, len(x), batch_size)]  # fmt: skip
        return prepared.outputs.probabilities(np.concatenate(outputs)), None

    return Predictor(name, predict, calibrate)


def mc_predictor(name, model, config, prepared, num_samples):
    """A `Predictor`: the mean of ``num_samples`` MC dropout samples (`kerasreg.uncertainty.mc_predict`)."""
    from kerasreg.engine.evaluation import evaluation_model
    from kerasreg.engine.preparation import model_inputs
    from kerasreg.uncertainty import mc_predict

    evaluated = evaluation_model(model, config, metrics=())

    def predict(x):
        sampled = mc_predict(evaluated, model_inputs(x, prepared.dataset), num_samples=num_samples,
                             batch_size=config.training.batch_size, from_logits=prepared.outputs.logits)  # fmt: skip
        return sampled["mean"], sampled["mutual_information"]

    return Predictor(name, predict)


def ensemble_predictor(name, members):
    """A `Predictor`: the mean of the members' probabilities; its mutual information is their disagreement."""

    def predict(x):
        probabilities = [member.predict(x)[0] for member in members]
        mean = np.mean(probabilities, axis=0)
        # H[mean] - mean H[p_k]: the members' disagreement, >= 0 (Jensen).
        information = _entropy(mean) - np.mean([_entropy(p) for p in probabilities], axis=0)
        return mean, np.maximum(information, 0.0)

    return Predictor(name, predict)


def severity_subsets(num_examples, examples, severities, seed):
    """``{severity: indices}``: the test examples each severity scores.

    Consecutive slices of one seeded permutation: disjoint while
    ``examples * len(severities) <= num_examples``, wrapping around after.
    ``examples`` >= ``num_examples`` gives every severity the whole set.
    """
    if examples >= num_examples:
        return {severity: np.arange(num_examples) for severity in severities}
    order = np.random.default_rng(seed).permutation(num_examples)
    return {severity: np.sort(np.take(order, np.arange(i * examples, (i + 1) * examples), mode="wrap"))
            for i, severity in enumerate(severities)}  # fmt: skip


def ood_report(in_probabilities, out_probabilities, in_information=None, out_information=None):
    """``{detector: {auroc, aupr, fpr_at_95_tpr}}`` of one OOD set against the in-distribution test set."""
    from kerasreg.uncertainty import ood_detection

    report = {
        "max_probability": ood_detection(1.0 - in_probabilities.max(axis=1), 1.0 - out_probabilities.max(axis=1)),
        "entropy": ood_detection(_entropy(in_probabilities), _entropy(out_probabilities)),
    }
    if in_information is not None and out_information is not None:
        report["mutual_information"] = ood_detection(in_information, out_information)
    return report


def _mean_scores(cells):
    """The mean of each metric over a list of score dicts with the same keys."""
    return {key: float(np.mean([cell[key] for cell in cells])) for key in cells[0]}


class _Scored:
    """One predictor's report as it is built: its temperature and each set's scores (raw and rescaled)."""

    def __init__(self, predictor, data):
        self.predictor = predictor
        self.temperature = None
        if predictor.calibrate:
            probabilities, _ = predictor.predict(data.x_validation)
            self.temperature = calibration.fit(probabilities, data.y_validation)
        self.reports = {predictor.name: {"clean": None, "cells": {}, "ood": {}}}
        if self.temperature is not None:
            self.reports[f"{predictor.name}+temperature"] = {"clean": None, "cells": {}, "ood": {},
                                                             "temperature": self.temperature}  # fmt: skip
        self.clean = None

    def variants(self, probabilities):
        """``(report name, probabilities)`` of the raw predictions and, calibrated, their rescaling."""
        yield self.predictor.name, probabilities
        if self.temperature is not None:
            yield f"{self.predictor.name}+temperature", calibration.rescaled(probabilities, self.temperature)


def score_predictors(predictors, data, *, corruptions=(), severities=(1, 2, 3, 4, 5), examples=None, seed=0,
                     log=print):  # fmt: skip
    """Scores each `Predictor` on ``data`` (`EvaluationData`): clean, shifted and OOD; see the module docstring.

    Args:
        predictors: `Predictor`s.
        data: `EvaluationData`.
        corruptions: Names of `kerasreg.uncertainty.corruptions.CORRUPTIONS`
            (empty: no shifted data).
        severities: Severities in 1..5.
        examples: Test examples per severity; None: a fifth of the test set
            (at least 1).
        seed: Seed of the corruptions' noise and of the severity subsets.

    Returns:
        ``{report name: {"clean": scores, "seconds_test", "shift": {"mean",
        "by_severity", "corruptions": {name: {severity: scores}}}, "ood":
        {set: {detector: scores}}, "temperature"?}}``; under ``"_seconds"`` the time spent
        making the corrupted sets and predicting them, under ``"_clean"``
        each predictor's test-set probabilities.
    """
    from kerasreg.uncertainty.corruptions import corrupt

    y_test = np.asarray(data.y_test).reshape(-1).astype("int64")
    scored = [_Scored(p, data) for p in predictors]
    clean = {}
    for entry in scored:
        started = time.perf_counter()
        probabilities, information = entry.predictor.predict(data.x_test)
        # What one pass over the test set costs this predictor (MC: all its samples).
        elapsed = time.perf_counter() - started
        clean[entry.predictor.name] = (probabilities, information)
        log(f"{entry.predictor.name}: test set scored in {elapsed:.1f} s")
        for name, p in entry.variants(probabilities):
            entry.reports[name]["clean"] = prediction_scores(p, y_test)
            entry.reports[name]["seconds_test"] = elapsed
    for set_name, x_ood in data.ood.items():
        for entry in scored:
            probabilities, information = entry.predictor.predict(x_ood)
            in_probabilities, in_information = clean[entry.predictor.name]
            for (name, p_in), (_, p_out) in zip(entry.variants(in_probabilities), entry.variants(probabilities)):
                entry.reports[name]["ood"][set_name] = ood_report(p_in, p_out, in_information, information)
    seconds = {"corrupting": 0.0, "predicting": 0.0}
    if corruptions:
        if examples is None:
            examples = max(1, len(y_test) // len(severities))
        subsets = severity_subsets(len(y_test), examples, severities, seed)
        for corruption in corruptions:
            # The severities of one corruption go to each predictor together: one call, full batches.
            started = time.perf_counter()
            x = np.concatenate([corrupt(data.x_test[subsets[s]], corruption, s, seed=seed) for s in severities])
            seconds["corrupting"] += time.perf_counter() - started
            started = time.perf_counter()
            bounds = np.cumsum([0] + [len(subsets[s]) for s in severities])
            for entry in scored:
                probabilities, _ = entry.predictor.predict(x)
                for name, p in entry.variants(probabilities):
                    for i, severity in enumerate(severities):
                        entry.reports[name]["cells"][(corruption, severity)] = prediction_scores(
                            p[bounds[i]:bounds[i + 1]], y_test[subsets[severity]])  # fmt: skip
            seconds["predicting"] += time.perf_counter() - started
            log(f"shift: {corruption} scored at severities {', '.join(map(str, severities))}")
    reports = {}
    for entry in scored:
        for name, report in entry.reports.items():
            cells = report.pop("cells")
            if cells:
                report["shift"] = {
                    "examples_per_severity": int(examples),
                    "mean": _mean_scores(list(cells.values())),
                    "by_severity": {str(s): _mean_scores([cells[(c, s)] for c in corruptions]) for s in severities},
                    "corruptions": {c: {str(s): cells[(c, s)] for s in severities} for c in corruptions},
                }
            reports[name] = report
    reports["_seconds"] = seconds
    reports["_clean"] = {name: probabilities for name, (probabilities, _) in clean.items()}
    return reports


def test_intervals(probabilities, labels, resamples=1000, seed=0):
    """``{metric: {"value", "low", "high"}}``: 95 % bootstrap intervals over test examples of accuracy, NLL,
    Brier score and ECE (`kerasreg.uncertainty.bootstrap_interval`): how far each would move on another test
    set of the same size."""
    from kerasreg.uncertainty import bootstrap_interval, brier_score, expected_calibration_error, \
        negative_log_likelihood  # fmt: skip

    metrics = {
        "accuracy": lambda p, y: float(np.mean(np.argmax(p, axis=1) == y)),
        "nll": negative_log_likelihood,
        "brier": brier_score,
        "ece": lambda p, y: expected_calibration_error(p, y, num_bins=15),
    }
    intervals = {}
    for name, metric in metrics.items():
        value, low, high = bootstrap_interval(metric, probabilities, labels, resamples=resamples, seed=seed)
        intervals[name] = {"value": value, "low": low, "high": high}
    return intervals


def evaluation_data(config, prepared, *, ood=False, ood_examples=None, seed=0):
    """`EvaluationData` of a prepared run: its seeded validation split, its test set and (``ood``) the OOD sets.

    The OOD sets: uniform and gaussian noise images shaped like the test
    images (`kerasreg.uncertainty.ood_sets`), ``ood_examples`` of each
    (default: as many as test images), and for an open-set run the test
    images of the classes it did not train on (``held_out_classes``).
    """
    from kerasreg.config import ConfigError
    from kerasreg.engine.preparation import training_arrays
    from kerasreg.uncertainty.ood_sets import SYNTHETIC_OOD, synthetic_ood

    dataset = prepared.dataset
    _, _, x_validation, y_validation = training_arrays(config, dataset)
    sets = {}
    if ood:
        if dataset.is_image:
            count = len(dataset.x_test) if ood_examples is None else ood_examples
            for kind in SYNTHETIC_OOD:
                sets[kind] = synthetic_ood(kind, count, dataset.x_test.shape[1:], seed=seed)
        if prepared.ood_test is not None:
            sets["held_out_classes"] = prepared.ood_test
        if not sets:
            raise ConfigError("--ood needs image data (for the synthetic noise sets) or an open-set run "
                              "(data.known_classes); this run has neither")  # fmt: skip
    return EvaluationData(x_validation, np.asarray(y_validation).reshape(-1), dataset.x_test,
                          np.asarray(dataset.y_test).reshape(-1), sets)  # fmt: skip


def check_shift_data(dataset):
    """The corruptions are defined on RGB ``uint8`` images: anything else is a `ConfigError`."""
    from kerasreg.config import ConfigError

    x = dataset.x_test
    if not dataset.is_image or x.ndim != 4 or x.shape[-1] != 3:
        raise ConfigError(f"--shift corrupts RGB uint8 images (N, H, W, 3); this run's test data is {x.dtype} of "
                          f"shape {x.shape[1:]} per example")  # fmt: skip


def evaluate_run(run_dir, config, model, prepared, *, shift=True, ood=False, mc_samples=None, corruptions=None,
                 examples=None, seed=None, log=print):  # fmt: skip
    """``evaluate RUN_DIR --shift/--ood``: one run scored under shift; writes ``evaluation-shift.json`` and plots.

    The run's model is scored as it was tested (its test-time augmentation),
    with temperature scaling fitted on its validation split, and with
    ``mc_samples`` the mean of that many MC dropout samples too; each
    predictor's clean scores get bootstrap intervals over test examples
    (``"clean_intervals"``, `test_intervals`). Written
    in the run directory: ``evaluation-shift.json`` (atomically),
    ``shift.png`` (accuracy and ECE against severity, 0 = clean), the
    reliability diagrams of the test set before and after temperature
    scaling (``reliability.png``, ``reliability-calibrated.png``), and
    TensorBoard events under ``evaluate/`` (the plots, and accuracy, NLL and
    ECE per predictor with the severity as the step).
    """
    from kerasreg.engine.run_files import write_json_atomic
    from kerasreg.engine.training import versions
    from kerasreg.plotting.shift import plot_shift
    from kerasreg.uncertainty.corruptions import CORRUPTIONS, SEVERITIES

    if prepared.outputs.kind == "values":
        from kerasreg.config import ConfigError

        raise ConfigError("--shift and --ood score class probabilities; this run's model outputs values")
    if shift:
        check_shift_data(prepared.dataset)
    seed = config.training.seed if seed is None else seed
    data = evaluation_data(config, prepared, ood=ood, seed=seed)
    predictors = [model_predictor("deterministic", model, config, prepared, calibrate=True)]
    if mc_samples:
        predictors.append(mc_predictor(f"mc_dropout_{mc_samples}", model, config, prepared, mc_samples))
    started = time.perf_counter()
    reports = score_predictors(predictors, data, corruptions=tuple(corruptions or CORRUPTIONS) if shift else (),
                               severities=SEVERITIES, examples=examples, seed=seed, log=log)  # fmt: skip
    seconds = reports.pop("_seconds")
    clean = reports.pop("_clean")
    report = {"run_dir": run_dir, "seed": seed, "test_time_augmentation": config.training.test_time_augmentation,
              "versions": versions(), "seconds": {**seconds, "total": time.perf_counter() - started},
              "predictors": reports}  # fmt: skip
    if "held_out_classes" in data.ood:
        report["held_out_classes"] = list(prepared.ood_class_names)  # what that OOD set holds
    probabilities = clean["deterministic"]
    temperature = reports["deterministic+temperature"]["temperature"]
    for name, p in clean.items():
        reports[name]["clean_intervals"] = test_intervals(p, data.y_test)
    reports["deterministic+temperature"]["clean_intervals"] = test_intervals(
        calibration.rescaled(probabilities, temperature), data.y_test)  # fmt: skip
    files = {"report": "evaluation-shift.json"}
    pngs = reliability_diagrams(run_dir, probabilities, data.y_test, temperature)
    files.update(reliability="reliability.png", reliability_calibrated="reliability-calibrated.png")
    if shift:
        plot_shift(reports, os.path.join(run_dir, "shift.png"), title=os.path.basename(os.path.normpath(run_dir)))
        files["shift_plot"] = "shift.png"
    _log_to_tensorboard(run_dir, reports, pngs, os.path.join(run_dir, "shift.png") if shift else None)
    files["tensorboard"] = "evaluate"
    report["files"] = files
    write_json_atomic(os.path.join(run_dir, "evaluation-shift.json"), report)
    return report


def reliability_diagrams(folder, probabilities, labels, temperature, whose=""):
    """Writes ``reliability.png`` and ``reliability-calibrated.png`` (before and after ``temperature``) into
    ``folder``; returns ``{"deterministic": png, "temperature": png}``. ``whose`` ends both titles."""
    from kerasreg.uncertainty import plot_reliability_diagram

    return {
        "deterministic": plot_reliability_diagram(probabilities, labels, os.path.join(folder, "reliability.png"),
                                                  title=f"reliability: deterministic{whose}"),
        "temperature": plot_reliability_diagram(calibration.rescaled(probabilities, temperature), labels,
                                                os.path.join(folder, "reliability-calibrated.png"),
                                                title=f"reliability: temperature {temperature:.3g}{whose}"),
    }  # fmt: skip


def _log_to_tensorboard(run_dir, reports, reliability_pngs, shift_png):
    """The run's TensorBoard entry gains ``evaluate/``: the diagrams, and each predictor's accuracy and ECE per
    severity (step 0 is the clean test set), beside its training curves."""
    import tensorflow as tf

    from kerasreg.reporting.tensorboard import png_to_image

    writer = tf.summary.create_file_writer(os.path.join(run_dir, "evaluate"))
    with writer.as_default():
        for kind, png in reliability_pngs.items():
            tf.summary.image(f"reliability/{kind}", png_to_image(png), step=0)
        if shift_png is not None:
            with open(shift_png, "rb") as handle:
                tf.summary.image("shift/accuracy_and_ece", png_to_image(handle.read()), step=0)
        for name, report in reports.items():
            by_severity = {0: report["clean"], **{int(s): v for s, v in report.get("shift", {}).get("by_severity", {}).items()}}
            for severity, scores in by_severity.items():
                for metric in ("accuracy", "nll", "ece"):
                    tf.summary.scalar(f"shift/{name}/{metric}", scores[metric], step=severity)
    writer.close()


def _cell(value, digits=4, percent=False):
    if value is None:
        return "-"
    return f"{value * 100:.2f}" if percent else f"{value:.{digits}f}"


def markdown(reports):
    """``{predictor: report}`` as one Markdown table: clean and shifted accuracy, NLL, ECE, aECE, and OOD AUROC."""
    ood_sets = sorted({name for report in reports.values() for name in report.get("ood", {})})
    header = ["predictor", "acc %", "NLL", "ECE", "aECE"]
    shifted = any(report.get("shift") for report in reports.values())
    if shifted:
        header += ["shift acc %", "shift NLL", "shift ECE", "shift aECE"]
    header += [f"AUROC {name}" for name in ood_sets]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, report in reports.items():
        clean = report["clean"]
        row = [name, _cell(clean["accuracy"], percent=True), _cell(clean["nll"]), _cell(clean["ece"]),
               _cell(clean["adaptive_ece"])]  # fmt: skip
        if shifted:
            mean = (report.get("shift") or {}).get("mean")
            row += [_cell(mean["accuracy"], percent=True), _cell(mean["nll"]), _cell(mean["ece"]),
                    _cell(mean["adaptive_ece"])] if mean else ["-"] * 4  # fmt: skip
        for set_name in ood_sets:
            detectors = report.get("ood", {}).get(set_name, {})
            detector = detectors.get("max_probability")  # the same detector in every row
            row.append(_cell(detector["auroc"]) if detector else "-")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"
