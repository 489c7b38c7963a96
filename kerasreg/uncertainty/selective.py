"""Selective classification: how well confidence ranks the errors (risk-coverage, AURC).

A classifier that may abstain keeps its most confident predictions. At
coverage ``k / N`` (the ``k`` most confident kept) its risk is the error
rate among those ``k``; AURC is the mean risk over every coverage. Lower
is better; a confidence that put every error last would reach the least
possible AURC for the model's accuracy.
"""

import numpy as np

from kerasreg.uncertainty.calibration import _checked, confidence_and_correct


def risk_coverage(probabilities, labels):
    """``(coverage, risk)``: the error rate of the ``k`` most confident predictions, for ``k = 1..N``.

    Confidence is the max probability; ties keep their input order (a
    stable sort), so the curve is deterministic.

    Args:
        probabilities: Array ``(N, C)`` of class probabilities; each row
            non-negative and summing to 1 (within 1e-3).
        labels: ``(N,)`` (or ``(N, 1)``) integer classes in ``[0, C)``, or
            ``(N, C)`` one-hot rows.

    Returns:
        Two float64 arrays of length ``N``: coverage ``k / N`` and risk.
    """
    confidence, correct = confidence_and_correct(*_checked(probabilities, labels))
    order = np.argsort(-confidence, kind="stable")
    errors = 1.0 - correct[order]
    kept = np.arange(1, len(errors) + 1)
    return kept / len(errors), np.cumsum(errors) / kept


def area_under_risk_coverage(probabilities, labels):
    """AURC: the mean of `risk_coverage`'s risk over the ``N`` coverages (Geifman & El-Yaniv 2017).

    Example:

    >>> from kerasreg.uncertainty import area_under_risk_coverage
    >>> p = [[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.45, 0.55]]
    >>> round(area_under_risk_coverage(p, [0, 1, 1, 0]), 4)
    0.3333

    Reference:
        Geifman & El-Yaniv, "Selective Classification for Deep Neural
        Networks", NeurIPS 2017.
    """
    return float(np.mean(risk_coverage(probabilities, labels)[1]))
