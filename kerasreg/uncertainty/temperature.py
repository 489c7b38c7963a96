"""Temperature scaling (Guo et al. 2017): one scalar that divides the logits, fitted on held-out data.

Dividing every logit by ``T > 0`` keeps each prediction's class (the
argmax) and so the accuracy, and moves only the confidence: ``T > 1``
softens over-confident probabilities, ``T < 1`` sharpens under-confident
ones (label smoothing and test-time augmentation make a network
under-confident). ``T`` minimizes the negative log-likelihood on data the
model did not train on: the validation split, never the test set.
"""

import numpy as np
from scipy.optimize import minimize_scalar

from kerasreg.uncertainty.calibration import check_labels

# The search interval of log T: T from e^-5 (x0.007) to e^5 (x148).
_LOG_BOUNDS = (-5.0, 5.0)


def scaled_probabilities(logits, temperature):
    """``softmax(logits / temperature)`` in float64, computed stably (max subtracted)."""
    z = np.asarray(logits, dtype="float64") / float(temperature)
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _nll(logits, labels, temperature):
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_normalizer = np.log(np.exp(z).sum(axis=1))
    return float(np.mean(log_normalizer - z[np.arange(len(labels)), labels]))


def fit_temperature(logits, labels):
    """The temperature ``T`` that minimizes the NLL of ``softmax(logits / T)`` on ``(logits, labels)``.

    Args:
        logits: Array ``(N, C)`` of finite logits (C >= 2), e.g. a model's
            outputs on the validation split.
        labels: ``(N,)`` (or ``(N, 1)``) integer classes in ``[0, C)``, or
            ``(N, C)`` one-hot rows.

    Returns:
        ``T`` as a Python float, found by a bounded scalar search over
        ``log T`` in [-5, 5] (the NLL is convex in ``1 / T``).

    Example:

    >>> import numpy as np
    >>> from kerasreg.uncertainty import fit_temperature
    >>> logits = np.array([[4.0, 0.0], [0.0, 4.0], [4.0, 0.0], [0.0, 4.0]])
    >>> round(fit_temperature(logits, [0, 1, 1, 0]), 2) > 10  # half wrong at full confidence: flatten
    True

    Reference:
        Guo, Pleiss, Sun & Weinberger, "On Calibration of Modern Neural
        Networks", ICML 2017.
    """
    z = np.asarray(logits, dtype="float64")
    if z.ndim != 2 or z.shape[0] < 1 or z.shape[1] < 2 or not np.isfinite(z).all():
        raise ValueError("Invalid value received for argument `logits`. Expected a finite array of shape (N, C), "
                         f"N >= 1, C >= 2. Received: logits with shape {z.shape}")  # fmt: skip
    y = check_labels(labels, *z.shape)
    result = minimize_scalar(lambda log_t: _nll(z, y, np.exp(log_t)), bounds=_LOG_BOUNDS, method="bounded",
                             options={"xatol": 1e-6})  # fmt: skip
    return float(np.exp(result.x))
