"""Post-hoc calibration of a run: temperature scaling fitted on the validation split, reported on the test set.

Every classification run reports its test NLL, Brier score, ECE and
adaptive ECE before and after temperature scaling (``results.json``'s
``"calibration"``); ``training.calibration = "temperature"`` also puts the
temperature into the saved inference model (`kerasreg.layers.TemperatureScaling`),
so that ``inference.keras`` returns the calibrated probabilities. The
temperature is fitted on the validation split only: the test set is
scored, never fitted.

The temperature is fitted to the log of the model's probabilities, which
are its logits up to a per-example constant the softmax ignores, so one
route serves models that return logits and models that end in a softmax
or sigmoid alike.
"""

import numpy as np

from kerasreg.engine.evaluation import calibration_metrics, score, scored_test

# A probability of exactly 0 (float64 underflow) has no log; this one's log is -690.
_TINY = 1e-300


def log_probabilities(probabilities):
    """The log of class probabilities ``(N, C)``: logits up to a per-row constant."""
    return np.log(np.clip(np.asarray(probabilities, dtype="float64"), _TINY, None))


def fit(probabilities, labels):
    """The temperature that minimizes the NLL of ``probabilities`` rescaled (`kerasreg.uncertainty.fit_temperature`)."""
    from kerasreg.uncertainty import fit_temperature

    return fit_temperature(log_probabilities(probabilities), labels)


def rescaled(probabilities, temperature):
    """``softmax(log(probabilities) / temperature)``: the calibrated probabilities."""
    from kerasreg.uncertainty import scaled_probabilities

    return scaled_probabilities(log_probabilities(probabilities), temperature)


def temperature_report(val_probabilities, val_labels, test_probabilities, test_labels):
    """``results.json``'s ``"calibration"``: the temperature fitted on validation, and the test scores before/after.

    Returns ``{"method": "temperature", "temperature", "fitted_on":
    "validation", "validation_examples", "before": {nll, brier, ece,
    adaptive_ece}, "after": {...}}``; accuracy is left out, as temperature
    scaling keeps every prediction's class.
    """
    temperature = fit(val_probabilities, val_labels)
    return {
        "method": "temperature",
        "temperature": temperature,
        "fitted_on": "validation",
        "validation_examples": int(len(val_labels)),
        "before": calibration_metrics(test_probabilities, test_labels),
        "after": calibration_metrics(rescaled(test_probabilities, temperature), test_labels),
    }


def score_test_calibrated(model, config, prepared, progress=None):
    """`kerasreg.engine.score_test`, plus temperature scaling fitted on the validation split: ``(scores, labels,
    probabilities, calibration)``.

    ``calibration`` is `temperature_report`'s (the temperature, and the
    test set's NLL, Brier score, ECE and adaptive ECE before and after it),
    or None for a model without class probabilities. The validation split is predicted as the test set
    is, with the run's test-time augmentation: the temperature fits the
    predictions it rescales. ``probabilities`` stay the uncalibrated ones.
    """
    evaluated, forward, scores, labels, probabilities = scored_test(model, config, prepared, progress)
    if labels is None:
        return scores, labels, probabilities, None
    _, val_labels, val_probabilities = score(evaluated, prepared.validation, (), prepared.outputs, prepared.one_hot,
                                             forward=forward)  # fmt: skip
    return scores, labels, probabilities, temperature_report(val_probabilities, val_labels, probabilities, labels)


def inference_temperature(model, config, prepared, calibration):
    """The temperature of the saved inference model (no test-time augmentation) under
    ``training.calibration = "temperature"``; None when it is off.

    Without test-time augmentation that is the run's temperature. With it,
    the test scores came from averaged views while the inference model is
    the plain one: a temperature fitted to averaged logits would miscalibrate
    it, so the plain model's validation predictions get their own.
    """
    if config.training.calibration != "temperature" or calibration is None:
        return None
    if config.training.test_time_augmentation == "none":
        return calibration["temperature"]
    _, labels, probabilities = score(model, prepared.validation, (), prepared.outputs, prepared.one_hot)
    return fit(probabilities, labels)


def summary_line(calibration):
    """``"ECE 0.1903 -> 0.0211, NLL 0.478 -> 0.301 (temperature 0.62, fitted on validation)"``."""
    before, after = calibration["before"], calibration["after"]
    return (f"ECE {before['ece']:.4f} -> {after['ece']:.4f}, NLL {before['nll']:.4f} -> {after['nll']:.4f} "
            f"(temperature {calibration['temperature']:.3g}, fitted on validation)")  # fmt: skip
