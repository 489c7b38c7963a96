"""`MultiSampleModel`: a `keras.Model` that trains `MultiSampleDropout` heads."""

import keras
from keras import ops


def _repeat_rows(value, rows):
    """Tiles ``value`` along axis 0 until it has ``rows`` rows (a whole multiple)."""
    if value is None:
        return None
    value = ops.convert_to_tensor(value)
    times = rows // ops.shape(value)[0]
    return ops.tile(value, (times,) + (1,) * (len(value.shape) - 1))


def _first_leaf(structure):
    return keras.tree.flatten(structure)[0]


@keras.saving.register_keras_serializable(package="kerasreg")
class MultiSampleModel(keras.Model):
    """A `keras.Model` whose loss and metrics accept multi-sample predictions.

    Use it exactly like `keras.Model` (functional ``MultiSampleModel(inputs,
    outputs)`` or as a base class). In training, `MultiSampleDropout` returns
    ``num_samples * batch`` rows; this model repeats ``y`` and
    ``sample_weight`` (sample-major, matching the layer) to that many rows
    before the compiled loss and metrics see them. With a mean-reduced loss
    the training loss is then the mean over samples of the per-sample losses.
    When predictions and targets have the same number of rows (inference,
    ``evaluate``, models without the layer) nothing is repeated.

    Example:

    >>> import keras
    >>> from kerasreg.layers import MultiSampleDropout
    >>> from kerasreg.models import MultiSampleModel
    >>> inputs = keras.Input((16,))
    >>> outputs = MultiSampleDropout(keras.layers.Dense(10), num_samples=8)(inputs)
    >>> model = MultiSampleModel(inputs, outputs)
    >>> model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    """

    def _match_rows(self, y, y_pred, sample_weight):
        rows = ops.shape(_first_leaf(y_pred))[0]
        y = keras.tree.map_structure(lambda t: _repeat_rows(t, rows), y)
        if sample_weight is not None:
            sample_weight = keras.tree.map_structure(
                lambda t: _repeat_rows(t, rows), sample_weight
            )
        return y, sample_weight

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if y is not None and y_pred is not None:
            y, sample_weight = self._match_rows(y, y_pred, sample_weight)
        return super().compute_loss(
            x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training
        )

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        if y is not None:
            y, sample_weight = self._match_rows(y, y_pred, sample_weight)
        return super().compute_metrics(x, y, y_pred, sample_weight=sample_weight)
