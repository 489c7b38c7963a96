"""Stochastic weight averaging (SWA), with the batch-norm statistics re-estimated.

Keras optimizers can keep an exponential moving average of the weights
(``use_ema``) but have no SWA, and nothing re-estimates batch-norm
statistics for weights that were never trained as such. Reference:
Izmailov, Podoprikhin, Garipov, Vetrov & Wilson, "Averaging Weights Leads
to Wider Optima and Better Generalization", UAI 2018.
"""

import collections.abc
import itertools
import numbers

import keras
import numpy as np
from keras import ops

from kerasreg import internals
from kerasreg.validation import check_positive_int, invalid_argument


def recompute_batch_norm_statistics(model, data, steps=None):
    """Re-estimates the moving mean and variance of every batch-norm layer from ``data``.

    Each `keras.layers.BatchNormalization` in ``model`` (in nested models and
    layers too, subclasses such as `GhostBatchNormalization` included) ends
    with the mean over batches of its batch means and batch variances
    (Keras's biased variance): every batch weighs the same whatever its
    size, as in PyTorch's ``torch.optim.swa_utils.update_bn``. The batch
    statistics are those of the model's current weights, which is what
    averaged weights need: the average of the snapshots' moving statistics
    does not describe the averaged network.

    The forward passes run with ``training=True``, the only mode in which
    batch norm updates; dropout and the other stochastic layers are active
    then too, as in PyTorch. Only the moving statistics change: a forward
    pass does not touch trainable weights, and every other non-trainable
    variable (seed states, counters such as `ScheduledDropout`'s) is put
    back. On an error everything is put back, the statistics included.
    Frozen layers (``trainable=False``) keep their statistics, since Keras
    runs them in inference mode. Layers with ``renorm=True`` are refused.

    Args:
        model: A built Keras model.
        data: Iterable of batches: ``x``, ``(x,)``, ``(x, y)`` or
            ``(x, y, sample_weight)`` (only ``x`` is used), such as a
            `tf.data.Dataset` or a list of arrays.
        steps: ``None`` (all of ``data``) or integer >= 1: use at most this
            many batches. Needed for an endless dataset.

    Returns:
        The number of batches used; 0 when no layer needs them (``data`` is
        then not read).

    Example:

    >>> import keras, numpy as np
    >>> from kerasreg.callbacks import recompute_batch_norm_statistics
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.BatchNormalization()])
    >>> x = np.arange(8, dtype="float32").reshape(4, 2)
    >>> recompute_batch_norm_statistics(model, [x[:2], x[2:]])
    2
    >>> keras.ops.convert_to_numpy(model.layers[0].moving_mean).tolist()
    [3.0, 4.0]
    """
    _check_batches("data", data)
    steps = None if steps is None else check_positive_int("steps", steps)
    # Private, but the only complete walk: model.layers misses batch norms
    # inside plain layers (residual blocks).
    layers = [
        layer
        for layer in internals.flatten_layers(model, include_self=True)
        if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable
    ]
    if not layers:
        return 0
    for layer in layers:
        if layer.renorm:
            raise ValueError(
                f"recompute_batch_norm_statistics does not support renorm=True "
                f"(layer '{layer.name}'): its moving variance follows a moving stddev."
            )
        if not layer.built:
            raise ValueError(
                f"recompute_batch_norm_statistics needs a built model; build or "
                f"call '{model.name}' first (layer '{layer.name}' is not built)."
            )
    statistics = {id(v) for layer in layers for v in (layer.moving_mean, layer.moving_variance)}
    saved = [(v, np.array(ops.convert_to_numpy(v))) for v in model.non_trainable_variables]
    momenta = [layer.momentum for layer in layers]
    count, finished = 0, False
    try:
        for batch in itertools.islice(data, steps):
            x, _, _ = keras.utils.unpack_x_y_sample_weight(batch)
            if count == 0:
                # The first batch's momentum 0 overwrites the statistics,
                # except NaN or infinity (0 * inf = nan) after a divergence.
                for layer in layers:
                    layer.moving_mean.assign(ops.zeros(layer.moving_mean.shape, layer.moving_mean.dtype))
                    layer.moving_variance.assign(ops.ones(layer.moving_variance.shape, layer.moving_variance.dtype))
            count += 1
            # moving = moving * (k - 1) / k + batch / k: the mean of k batches.
            for layer in layers:
                layer.momentum = (count - 1) / count
            # An eager call on purpose: batch norm reads `momentum` as a Python
            # float, which a compiled function (predict, a jit) would freeze
            # at its first value when traced.
            model(x, training=True)
        finished = count > 0
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
        for variable, value in saved:
            if not finished or id(variable) not in statistics:
                variable.assign(value)
    if count == 0:
        raise ValueError("recompute_batch_norm_statistics: `data` yielded no batch.")
    return count


class StochasticWeightAveraging(keras.callbacks.Callback):
    """Replaces the weights at the end of training by their average over the last epochs.

    Stochastic weight averaging (Izmailov et al. 2018): the trainable
    weights at the end of epochs ``start_epoch``, ``start_epoch +
    frequency``, ... (0-based, as Keras counts them) are averaged
    arithmetically; when `fit` ends, the average is written into the model
    and, given ``batch_norm_data``, the batch-norm statistics are
    re-estimated for it with `recompute_batch_norm_statistics`. Without
    ``batch_norm_data`` a model with batch norm keeps the moving statistics
    of the last epoch's weights, which do not fit the averaged weights:
    pass batches of the training data.
    Only the trainable weights are averaged; other non-trainable state
    (frozen weights, seed states) stays as at the end of training.

    The learning rate is not this callback's business. SWA trains from
    ``start_epoch`` on with its own rate, constant or cyclical; the
    optimizer's schedule provides it, e.g. with `kerasreg.schedules.Join`,
    whose boundaries count steps::

        Join([base_schedule, Constant(swa_lr)], boundaries=[start_epoch * steps_per_epoch])

    With a cyclical rate, let ``frequency`` be the cycle length in epochs
    and cycles end with epochs, so the snapshots fall at the lowest rate.

    The running average stays in the callback across `fit` calls, and each
    `fit`'s end writes it into the model: train in one `fit`. To resume an
    interrupted run, save `get_state` with the checkpoint of the same epoch
    end, and give a new callback `set_state` before `fit(initial_epoch=...)`.

    Args:
        start_epoch: Integer >= 0, the first epoch whose final weights are
            averaged.
        frequency: Integer >= 1: average every ``frequency``-th epoch from
            ``start_epoch`` on.
        batch_norm_data: ``None`` or batches for
            `recompute_batch_norm_statistics` (``x``, ``(x, y)`` or
            ``(x, y, sample_weight)``), read once when training ends.
        batch_norm_steps: ``None`` or integer >= 1: at most this many
            batches of ``batch_norm_data``.

    Example:

    >>> import keras, numpy as np
    >>> from kerasreg.callbacks import StochasticWeightAveraging
    >>> from kerasreg.schedules import Constant, Join
    >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> y = x.sum(axis=1, keepdims=True)
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8),
    ...                           keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    >>> steps_per_epoch, start_epoch = 4, 2
    >>> base = keras.optimizers.schedules.CosineDecay(0.05, start_epoch * steps_per_epoch, alpha=0.2)
    >>> schedule = Join([base, Constant(0.01)], boundaries=[start_epoch * steps_per_epoch])
    >>> model.compile(keras.optimizers.SGD(schedule), "mse")
    >>> swa = StochasticWeightAveraging(start_epoch, batch_norm_data=[x[:32], x[32:]])
    >>> history = model.fit(x, y, batch_size=16, epochs=5, callbacks=[swa], verbose=0)
    >>> swa.snapshots_averaged
    3

    Reference:
        Izmailov, Podoprikhin, Garipov, Vetrov & Wilson, "Averaging Weights
        Leads to Wider Optima and Better Generalization", UAI 2018.
    """

    def __init__(self, start_epoch, frequency=1, batch_norm_data=None, batch_norm_steps=None):
        super().__init__()
        if isinstance(start_epoch, bool) or not isinstance(start_epoch, numbers.Integral) or start_epoch < 0:
            raise invalid_argument("start_epoch", "an integer >= 0", start_epoch)
        self.start_epoch = int(start_epoch)
        self.frequency = check_positive_int("frequency", frequency)
        if batch_norm_data is not None:
            _check_batches("batch_norm_data", batch_norm_data)
        self.batch_norm_data = batch_norm_data
        self.batch_norm_steps = None if batch_norm_steps is None else check_positive_int("batch_norm_steps", batch_norm_steps)
        self._count = 0
        self._average = []

    @property
    def snapshots_averaged(self):
        """How many epoch-end snapshots the average holds."""
        return self._count

    def averaged_weights(self):
        """The average, one float64 array per ``model.trainable_variables``; ``None`` before the first snapshot."""
        return [a.copy() for a in self._average] if self._count else None

    def get_state(self):
        """The running average as ``{"count": int, "weights": [float64 arrays]}`` (copies)."""
        return {"count": self._count, "weights": [a.copy() for a in self._average]}

    def set_state(self, state):
        """Continues from a `get_state` dict (checked against the model when `fit` begins)."""
        count, weights = state["count"], list(state["weights"])
        if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 0 or (count == 0) != (not weights):
            raise ValueError(
                "Invalid value received for argument `state`. Expected a count >= 0 "
                "with weights when the count is > 0 and none when it is 0. Received: "
                f"state with count={count!r} and {len(weights)} weights"
            )
        self._count = int(count)
        self._average = [np.array(w, dtype=np.float64) for w in weights]

    def on_train_begin(self, logs=None):
        if not self._count:
            return
        expected = [tuple(v.shape) for v in self.model.trainable_variables]
        received = [a.shape for a in self._average]
        if received != expected:
            raise ValueError(
                "The restored SWA state does not match the model's trainable "
                f"variables: shapes {received} for a model with {expected}."
            )

    def on_epoch_end(self, epoch, logs=None):
        if epoch < self.start_epoch or (epoch - self.start_epoch) % self.frequency:
            return
        weights = [ops.convert_to_numpy(v).astype(np.float64) for v in self.model.trainable_variables]
        self._count += 1
        if self._count == 1:
            self._average = weights
            return
        for average, w in zip(self._average, weights):
            average += (w - average) / self._count

    def on_train_end(self, logs=None):
        if not self._count:
            return
        for variable, average in zip(self.model.trainable_variables, self._average):
            variable.assign(ops.cast(average, variable.dtype))
        if self.batch_norm_data is not None:
            recompute_batch_norm_statistics(self.model, self.batch_norm_data, self.batch_norm_steps)


def _check_batches(name, data):
    # Arrays and (x, y) tuples are iterable too, but by rows or parts, not batches.
    if hasattr(data, "shape") or isinstance(data, (tuple, dict)) or not isinstance(data, collections.abc.Iterable):
        received = f"<{type(data).__name__} of shape {tuple(data.shape)}>" if hasattr(data, "shape") else repr(data)
        raise ValueError(
            f"Invalid value received for argument `{name}`. Expected an iterable of "
            "batches, such as a tf.data.Dataset or a list of arrays or (x, y) tuples. "
            f"Received: {name}={received}"
        )
