"""`GhostBatchNormalization`: batch norm over virtual sub-batches."""

import keras
from keras import ops

from kerasreg.validation import check_positive_int


def ghost_moments(inputs, virtual_batch_size, axis):
    """Per-ghost-batch mean and variance of ``inputs`` for normalization along ``axis`` (>= 1).

    The batch is split into consecutive groups of ``virtual_batch_size``
    examples; when the batch size is not a known multiple of it, a last,
    smaller group holds the remainder (padded internally with rows of weight
    zero). Returns ``(grouped, mean, variance, group_size)``: ``grouped`` is
    the (padded) input reshaped to ``(groups, virtual_batch_size, ...)``, the
    moments broadcast against it, and ``group_size`` the number of real
    examples in each group, shaped like the moments but for the channels.
    """
    batch = ops.shape(inputs)[0]
    rest = tuple(ops.shape(inputs)[1:])
    # Axes of `grouped` to reduce: the within-group batch axis and every
    # original axis except the normalized one.
    axes = [1] + [a + 1 for a in range(1, len(inputs.shape)) if a != axis]
    ones = (1,) * len(rest)

    if isinstance(batch, int) and batch % virtual_batch_size == 0:
        # Whole ghost batches (the usual case with a static batch size): no
        # padding, no weights, Keras's fused moments.
        grouped = ops.reshape(inputs, (-1, virtual_batch_size) + rest)
        mean, variance = ops.moments(grouped, axes=axes, keepdims=True)
        group_size = ops.full((batch // virtual_batch_size, 1) + ones, float(virtual_batch_size))
        return grouped, mean, variance, ops.cast(group_size, inputs.dtype)

    padding = (-batch) % virtual_batch_size
    grouped = ops.reshape(
        ops.pad(inputs, ((0, padding),) + ((0, 0),) * len(rest)),
        (-1, virtual_batch_size) + rest,
    )
    weight = ops.pad(ops.ones((batch,), inputs.dtype), ((0, padding),))
    weight = ops.reshape(weight, (-1, virtual_batch_size) + ones)
    per_row = 1
    for a in axes[1:]:
        per_row = per_row * ops.shape(grouped)[a]
    group_size = ops.sum(weight, axis=1, keepdims=True)
    count = group_size * ops.cast(per_row, inputs.dtype)
    mean = ops.sum(grouped * weight, axis=axes, keepdims=True) / count
    variance = ops.sum(ops.square(grouped - mean) * weight, axis=axes, keepdims=True) / count
    return grouped, mean, variance, group_size


@keras.saving.register_keras_serializable(package="kerasreg")
class GhostBatchNormalization(keras.layers.BatchNormalization):
    """Batch normalization with statistics over virtual ("ghost") sub-batches.

    In training, the batch is split into consecutive groups of
    ``virtual_batch_size`` examples and each group is normalized with its own
    mean and variance (a smaller last group takes the remainder). This keeps
    the regularizing noise of small-batch statistics while training with
    large batches. The moving statistics are updated with the
    example-weighted average of the ghost-batch means and variances; at
    inference they are used exactly as in `BatchNormalization`. With
    ``virtual_batch_size`` equal to the batch size the layer is Keras's
    `BatchNormalization` (Keras 3 dropped its ``virtual_batch_size``
    argument). Renormalization, synchronized statistics and masks are not
    supported in training.

    Args:
        virtual_batch_size: Integer >= 1, examples per ghost batch.
        **kwargs: Every `keras.layers.BatchNormalization` argument
            (``axis``, ``momentum``, ``epsilon``, ``center``, ``scale``, ...).

    Call arguments:
        inputs: Input tensor of any rank.
        training: Python bool. In training the ghost-batch statistics are
            used and the moving statistics updated.

    Example:

    >>> import numpy as np
    >>> from kerasreg.layers import GhostBatchNormalization
    >>> layer = GhostBatchNormalization(virtual_batch_size=4)
    >>> x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    >>> y = np.asarray(layer(x, training=True)).reshape(4, 4, 3)
    >>> bool(np.allclose(y.mean(axis=1), 0.0, atol=1e-5))
    True

    Reference:
        Hoffer, Hubara & Soudry, "Train longer, generalize better: closing
        the generalization gap in large batch training of neural networks",
        NeurIPS 2017.
    """

    def __init__(self, virtual_batch_size, **kwargs):
        self.virtual_batch_size = check_positive_int("virtual_batch_size", virtual_batch_size)
        for name in ("renorm", "synchronized"):
            if kwargs.get(name):
                raise ValueError(
                    f"Invalid value received for argument `{name}`. "
                    "GhostBatchNormalization supports only False. "
                    f"Received: {name}={kwargs[name]!r}"
                )
        super().__init__(**kwargs)

    def call(self, inputs, training=None, mask=None):
        if not (training and self.trainable):
            return super().call(inputs, training=training, mask=mask)
        if mask is not None:
            raise ValueError(
                "GhostBatchNormalization does not support masks in training. "
                f"Received: mask with shape {mask.shape}"
            )
        # Like BatchNormalization: statistics in at least float32.
        compute_dtype = keras.backend.result_type(inputs.dtype, "float32")
        x = ops.cast(inputs, compute_dtype)
        axis = self.axis % len(x.shape)
        grouped, mean, variance, group_size = ghost_moments(x, self.virtual_batch_size, axis)

        # Normalize with one multiply-add on the big tensor: the per-group
        # scale and offset are small.
        param_shape = [1] * len(grouped.shape)
        param_shape[axis + 1] = -1
        scale = ops.rsqrt(variance + self.epsilon)
        if self.scale:
            scale = scale * ops.reshape(ops.cast(self.gamma, compute_dtype), param_shape)
        offset = -mean * scale
        if self.center:
            offset = offset + ops.reshape(ops.cast(self.beta, compute_dtype), param_shape)
        outputs = ops.reshape(grouped * scale + offset, (-1,) + tuple(ops.shape(x)[1:]))
        if grouped.shape[0] is None or grouped.shape[0] * self.virtual_batch_size != x.shape[0]:
            outputs = outputs[: ops.shape(x)[0]]

        # Example-weighted average over groups of the ghost statistics.
        total = ops.sum(group_size)
        batch_mean = ops.reshape(ops.sum(mean * group_size, axis=0) / total, (-1,))
        batch_variance = ops.reshape(ops.sum(variance * group_size, axis=0) / total, (-1,))
        momentum = self.momentum
        self.moving_mean.assign(
            ops.cast(self.moving_mean, compute_dtype) * momentum
            + batch_mean * (1.0 - momentum)
        )
        self.moving_variance.assign(
            ops.cast(self.moving_variance, compute_dtype) * momentum
            + batch_variance * (1.0 - momentum)
        )
        return ops.cast(outputs, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "virtual_batch_size": self.virtual_batch_size}
