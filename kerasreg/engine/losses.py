"""Loss, metrics and objective of a run, and what the model's outputs are.

The user names them once (`kerasreg.Experiment(loss=..., metrics=...,
objective=...)`); this module turns the names into Keras objects that fit
the model. What the model outputs is read from the model itself: a final
softmax or sigmoid (or rows that already sum to one) means probabilities,
anything else logits; kerasreg then builds its losses with the matching
``from_logits``, and a loss object that contradicts the model is an error.
The objective (``val_<metric>``, higher or lower is better) is the one
metric that early stopping, checkpoint selection, tuning and the
comparison table all use.
"""

import dataclasses

import keras
import numpy as np

from kerasreg.config import ConfigError
from kerasreg.reporting.gaps import lower_is_better

CLASSIFICATION_LOSSES = ("sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy")
REGRESSION_LOSSES = ("mean_squared_error", "mean_absolute_error", "huber")
LOSS_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error"}


@dataclasses.dataclass(frozen=True)
class Objective:
    """The validation metric runs are selected by: ``name`` (``val_...``) and ``mode`` (``max``/``min``)."""

    name: str
    mode: str

    @property
    def metric(self):
        """The metric without the ``val_`` prefix (``accuracy``, ``auc``, ``loss``)."""
        return self.name[4:]


def as_objective(objective, metric_names):
    """An `Objective` from ``None`` (``val_accuracy`` when accuracy is a metric, else ``val_loss``), a name or
    ``(name, mode)``; the name must be ``val_`` + ``loss`` or one of ``metric_names``."""
    if objective is None:
        objective = "val_accuracy" if "accuracy" in metric_names else "val_loss"
    mode = None
    if isinstance(objective, (tuple, list)) and len(objective) == 2:
        objective, mode = objective
    if not isinstance(objective, str) or not objective.startswith("val_"):
        raise ConfigError(f"objective must name a validation metric ('val_' + a metric, e.g. 'val_accuracy'); "
                          f"got {objective!r}")  # fmt: skip
    metric = objective[4:]
    known = ("loss", *metric_names)
    if metric not in known:
        raise ConfigError(f"objective {objective!r} names no metric of the run; choose from "
                          f"{', '.join('val_' + m for m in known)}")  # fmt: skip
    if mode is None:
        mode = "min" if lower_is_better(metric) else "max"
    if mode not in ("max", "min"):
        raise ConfigError(f"objective mode must be 'max' or 'min'; got {mode!r}")
    return Objective(objective, mode)


@dataclasses.dataclass(frozen=True)
class Outputs:
    """What a model's output means: ``kind`` in ``softmax``, ``sigmoid`` or ``values``; ``logits`` or not."""

    kind: str
    logits: bool

    def probabilities(self, outputs):
        """Class probabilities ``(n, classes)`` as float64 from a batch of outputs (None for ``values``)."""
        outputs = np.asarray(outputs, dtype="float64")
        if self.kind == "softmax":
            if not self.logits:
                return outputs
            outputs = outputs - outputs.max(axis=-1, keepdims=True)
            exp = np.exp(outputs)
            return exp / exp.sum(axis=-1, keepdims=True)
        if self.kind == "sigmoid":
            p = outputs.reshape(len(outputs), -1)[:, 0]
            if self.logits:
                p = 1.0 / (1.0 + np.exp(-p))
            return np.stack([1.0 - p, p], axis=-1)
        return None

    def activation(self):
        """The activation that turns the outputs into probabilities (None when they are)."""
        if not self.logits or self.kind == "values":
            return None
        return self.kind


def _final_activation(model):
    layer = model.layers[-1] if getattr(model, "layers", None) else None
    if layer is None:
        return None
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    activation = layer.get_config().get("activation") if hasattr(layer, "get_config") else None
    return activation if activation in ("softmax", "sigmoid") else None


def read_outputs(model, sample, loss_name):
    """`Outputs` of ``model``: its final activation, else what its outputs on ``sample`` look like."""
    units = int(model.output_shape[-1]) if model.output_shape and model.output_shape[-1] else 1
    if loss_name in REGRESSION_LOSSES:
        return Outputs("values", logits=False)
    final = _final_activation(model)
    kind = "sigmoid" if (loss_name == "binary_crossentropy" or units == 1) else "softmax"
    if final is not None:
        return Outputs(kind, logits=False)
    if kind == "softmax" and sample is not None and units > 1:
        outputs = keras.ops.convert_to_numpy(model(sample, training=False)).astype("float64")
        sums_to_one = np.all(outputs >= 0) and np.allclose(outputs.sum(axis=-1), 1.0, atol=1e-3)
        return Outputs(kind, logits=not sums_to_one)
    return Outputs(kind, logits=True)


def default_loss(integer_labels, outputs_units):
    """The loss used when none is named: cross-entropy for class indices (binary for one output), else MSE."""
    if not integer_labels:
        return "mean_squared_error"
    return "binary_crossentropy" if outputs_units == 1 else "sparse_categorical_crossentropy"


def loss_name(loss):
    """The canonical name of a loss given as a string or a Keras loss object (None for other callables)."""
    if isinstance(loss, str):
        name = LOSS_ALIASES.get(loss, loss)
        if name not in CLASSIFICATION_LOSSES + REGRESSION_LOSSES:
            raise ConfigError(f"unknown loss {loss!r}; name one of {', '.join(CLASSIFICATION_LOSSES + REGRESSION_LOSSES)}"
                              " or pass a keras.losses.Loss")  # fmt: skip
        return name
    if isinstance(loss, keras.losses.Loss):
        return {keras.losses.SparseCategoricalCrossentropy: "sparse_categorical_crossentropy",
                keras.losses.CategoricalCrossentropy: "categorical_crossentropy",
                keras.losses.BinaryCrossentropy: "binary_crossentropy",
                keras.losses.MeanSquaredError: "mean_squared_error",
                keras.losses.MeanAbsoluteError: "mean_absolute_error",
                keras.losses.Huber: "huber"}.get(type(loss))  # fmt: skip
    if callable(loss):
        return None
    raise ConfigError(f"loss must be a name or a keras.losses.Loss; got {loss!r}")


def make_loss(loss, outputs, *, one_hot, label_smoothing, model_name):
    """The Keras loss of a run. ``one_hot``: labels come one-hot (MixUp, CutMix, label smoothing)."""
    name = loss_name(loss)
    if not isinstance(loss, str):
        declared = loss.get_config().get("from_logits") if hasattr(loss, "get_config") else None
        if declared is not None and outputs.kind != "values" and bool(declared) != outputs.logits:
            said = "probabilities (a final softmax or sigmoid)" if not outputs.logits else "logits"
            raise ConfigError(f"{model_name} outputs {said} but the loss has from_logits={bool(declared)}; "
                              f"use from_logits={outputs.logits} or pass the loss by name")  # fmt: skip
        if label_smoothing or one_hot:
            raise ConfigError("training.label_smoothing, data.mixup_alpha and data.cutmix_alpha need a loss named "
                              "by string (kerasreg builds it with one-hot labels); got a loss object")  # fmt: skip
        return loss
    if name in REGRESSION_LOSSES:
        if label_smoothing or one_hot:
            key = "training.label_smoothing" if label_smoothing else "data.mixup_alpha/cutmix_alpha"
            raise ConfigError(f"{key} has no effect with the regression loss {name!r}")
        return {"mean_squared_error": keras.losses.MeanSquaredError, "mean_absolute_error": keras.losses.MeanAbsoluteError,
                "huber": keras.losses.Huber}[name]()  # fmt: skip
    logits = outputs.logits
    if name == "binary_crossentropy":
        if one_hot and not label_smoothing:
            raise ConfigError("data.mixup_alpha/cutmix_alpha need a multi-class (softmax) model")
        return keras.losses.BinaryCrossentropy(from_logits=logits, label_smoothing=label_smoothing)
    if one_hot or name == "categorical_crossentropy":
        return keras.losses.CategoricalCrossentropy(from_logits=logits, label_smoothing=label_smoothing)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=logits)


def make_metrics(metrics, outputs, *, one_hot, loss):
    """Keras metric objects for ``metrics`` (names or objects); ``accuracy`` and ``auc`` fit the outputs."""
    name = loss_name(loss)
    made = []
    for metric in metrics:
        if metric in ("accuracy", "acc"):
            if outputs.kind == "values":
                raise ConfigError(f"metric 'accuracy' needs a classification loss; the loss is {name!r}")
            if outputs.kind == "sigmoid":
                made.append(keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0 if outputs.logits else 0.5))
            elif one_hot or name == "categorical_crossentropy":
                made.append(keras.metrics.CategoricalAccuracy(name="accuracy"))
            else:
                made.append(keras.metrics.SparseCategoricalAccuracy(name="accuracy"))
        elif metric == "auc":
            if outputs.kind != "sigmoid":
                raise ConfigError("metric 'auc' is for binary classification (one output unit, binary_crossentropy)")
            made.append(keras.metrics.AUC(name="auc", from_logits=outputs.logits))
        else:
            made.append(metric)
    return made


def metric_names(metrics):
    """The names metrics log under (``val_`` + name in the validation logs)."""
    names = []
    for metric in metrics:
        if isinstance(metric, str):
            names.append("accuracy" if metric == "acc" else metric)
        else:
            names.append(getattr(metric, "name", None) or type(metric).__name__)
    return names
