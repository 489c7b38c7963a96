"""DropConnect: `DropConnectDense` and `DropConnectConv2D` drop kernel weights."""

import keras
from keras import ops

from kerasreg.layers.stochastic_layer import StochasticLayer

_MASK_NOTE = """
    One mask per step: a single kernel mask is drawn for each training step
    and shared by every example of the batch. Wan et al. (2013) draw a mask
    per example, which needs a copy of the kernel for every example
    (batch × kernel memory) and a batched matmul instead of one GEMM; the
    shared mask keeps the layer's cost and memory those of the plain layer,
    and is what DropConnect implementations commonly do. Copies of one input
    in a batch therefore share the mask, so the layer sets
    ``noise_per_example = False`` and `kerasreg.uncertainty.mc_predict`
    draws one forward pass per Monte Carlo sample for models that use it.
"""


def drop_connect_kernel(kernel, rate, seed):
    """The kernel with each weight zeroed with probability ``rate``, kept ones scaled 1/(1-rate)."""
    return keras.random.dropout(kernel, rate, seed=seed)


@keras.saving.register_keras_serializable(package="kerasreg")
class DropConnectDense(StochasticLayer, keras.layers.Dense):
    __doc__ = (
        """Keras `Dense` whose kernel weights, not activations, are dropped.

    In training (or in MC mode) each kernel weight is zeroed with probability
    ``rate`` and the kept weights are scaled by ``1 / (1 - rate)``; the bias
    is not dropped. At inference it is exactly a `Dense` layer.
"""
        + _MASK_NOTE
        + """
    Args:
        units: Integer >= 1, dimensionality of the output space.
        rate: Float in [0, 1), probability of dropping each kernel weight.
        seed: Optional integer seed.
        mc: Bool. If True, also drops at inference.
        **kwargs: Every other `keras.layers.Dense` argument (``activation``,
            ``use_bias``, initializers, regularizers, ...).

    Call arguments:
        inputs: Tensor of shape ``(..., input_dim)``.
        training: Python bool, whether the layer runs in training mode.

    Example:

    >>> import numpy as np
    >>> from kerasreg.layers import DropConnectDense
    >>> layer = DropConnectDense(4, rate=0.5, activation="relu", seed=0)
    >>> tuple(layer(np.ones((2, 3), "float32"), training=True).shape)
    (2, 4)

    Reference:
        Wan, Zeiler, Zhang, LeCun & Fergus, "Regularization of Neural
        Networks using DropConnect", ICML 2013.
    """
    )

    noise_per_example = False  # one kernel mask per call, shared by the batch

    def __init__(self, units, rate=0.5, seed=None, mc=False, **kwargs):
        super().__init__(rate=rate, seed=seed, mc=mc, units=units, **kwargs)

    def inference(self, inputs):
        return keras.layers.Dense.call(self, inputs)

    def noise(self, inputs):
        kernel = drop_connect_kernel(
            ops.cast(self.kernel, inputs.dtype), self.rate, self.seed_generator
        )
        outputs = ops.matmul(inputs, kernel)
        if self.bias is not None:
            outputs = ops.add(outputs, self.bias)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    compute_output_shape = keras.layers.Dense.compute_output_shape


@keras.saving.register_keras_serializable(package="kerasreg")
class DropConnectConv2D(StochasticLayer, keras.layers.Conv2D):
    __doc__ = (
        """Keras `Conv2D` whose kernel weights, not activations, are dropped.

    In training (or in MC mode) each kernel weight is zeroed with probability
    ``rate`` and the kept weights are scaled by ``1 / (1 - rate)``; the bias
    is not dropped. At inference it is exactly a `Conv2D` layer.
"""
        + _MASK_NOTE
        + """
    Args:
        filters: Integer >= 1, number of output channels.
        kernel_size: Integer or tuple of 2 integers.
        rate: Float in [0, 1), probability of dropping each kernel weight.
        seed: Optional integer seed.
        mc: Bool. If True, also drops at inference.
        **kwargs: Every other `keras.layers.Conv2D` argument (``strides``,
            ``padding``, ``data_format``, ``activation``, ...).

    Call arguments:
        inputs: 4D tensor, ``(batch, height, width, channels)`` for
            ``channels_last``.
        training: Python bool, whether the layer runs in training mode.

    Example:

    >>> import numpy as np
    >>> from kerasreg.layers import DropConnectConv2D
    >>> layer = DropConnectConv2D(8, 3, rate=0.3, padding="same", seed=0)
    >>> tuple(layer(np.ones((2, 6, 6, 3), "float32"), training=True).shape)
    (2, 6, 6, 8)

    Reference:
        Wan, Zeiler, Zhang, LeCun & Fergus, "Regularization of Neural
        Networks using DropConnect", ICML 2013.
    """
    )

    noise_per_example = False  # one kernel mask per call, shared by the batch

    def __init__(self, filters, kernel_size, rate=0.5, seed=None, mc=False, **kwargs):
        super().__init__(
            rate=rate,
            seed=seed,
            mc=mc,
            filters=filters,
            kernel_size=kernel_size,
            **kwargs,
        )

    def inference(self, inputs):
        return keras.layers.Conv2D.call(self, inputs)

    def noise(self, inputs):
        kernel = drop_connect_kernel(
            ops.cast(self.kernel, inputs.dtype), self.rate, self.seed_generator
        )
        outputs = self.convolution_op(inputs, kernel)
        if self.use_bias:
            if self.data_format == "channels_last":
                bias_shape = (1, 1, 1, self.filters)
            else:
                bias_shape = (1, self.filters, 1, 1)
            outputs = ops.add(outputs, ops.reshape(self.bias, bias_shape))
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    compute_output_shape = keras.layers.Conv2D.compute_output_shape
