"""The generalization gap, one convention everywhere: positive when training looks better than validation."""

# Metrics where lower is better (suffixes count: ``val_loss``, ``binary_crossentropy``).
LOWER_IS_BETTER = ("loss", "mse", "mae", "mean_squared_error", "mean_absolute_error", "root_mean_squared_error",
                   "rmse", "nll", "brier", "ece", "crossentropy")  # fmt: skip


def lower_is_better(metric):
    """Whether smaller values of ``metric`` are better (losses and errors)."""
    return any(metric == m or metric.endswith("_" + m) for m in LOWER_IS_BETTER)


def gap_formula(metric):
    """How the gap of ``metric`` is computed, as shown in tables: ``"val - train"`` or ``"train - val"``."""
    return "val - train" if lower_is_better(metric) else "train - val"


def generalization_gap(metric, train, validation):
    """How much better ``metric`` is on training than on validation data.

    ``train - validation`` for metrics where higher is better (accuracy,
    AUC), ``validation - train`` for losses and errors: positive means the
    model fits its training data better than it generalizes, for every
    metric. TensorBoard's ``gap/...`` scalars and the comparison table's
    ``gap_...`` columns both use it.

    >>> generalization_gap("accuracy", 0.95, 0.90), generalization_gap("loss", 0.10, 0.30)
    (0.04999999999999993, 0.19999999999999998)
    """
    train, validation = float(train), float(validation)
    return validation - train if lower_is_better(metric) else train - validation
