"""`StochasticDepth` (DropPath) and the linear depth ramp of its rates."""

import keras
from keras import ops

from kerasreg.layers.stochastic_layer import StochasticLayer
from kerasreg.validation import check_positive_int, check_rate


def drop_path(inputs, rate, seed):
    """Zeroes whole examples of a residual branch, scaling the rest by 1/(1-rate).

    The mask has shape ``(batch, 1, ..., 1)``: one Bernoulli draw per example.
    """
    noise_shape = (ops.shape(inputs)[0],) + (1,) * (len(inputs.shape) - 1)
    return keras.random.dropout(inputs, rate, noise_shape=noise_shape, seed=seed)


def drop_path_rates(max_rate, num_blocks):
    """Per-block drop rates of the linear decay rule of Huang et al. (2016).

    Block ``l`` of ``L`` (1-based) gets ``rate_l = l / L * max_rate``: the
    first block is almost never dropped, the last one at ``max_rate``.
    (timm's ``linspace(0, max_rate, L)`` starts at 0 instead; the paper's rule
    is used here.)

    Args:
        max_rate: Float in [0, 1), the rate of the last block.
        num_blocks: Integer >= 1, the number of residual blocks.

    Returns:
        A list of ``num_blocks`` Python floats.

    Example:

    >>> drop_path_rates(0.5, 4)
    [0.125, 0.25, 0.375, 0.5]
    """
    max_rate = check_rate("max_rate", max_rate)
    num_blocks = check_positive_int("num_blocks", num_blocks)
    return [max_rate * (block + 1) / num_blocks for block in range(num_blocks)]


@keras.saving.register_keras_serializable(package="kerasreg")
class StochasticDepth(StochasticLayer):
    """Stochastic depth (DropPath): drops a residual branch for whole examples.

    Apply it to the output of a residual branch before the addition,
    ``x + StochasticDepth(rate)(branch(x))``. In training each example's
    branch is zeroed with probability ``rate`` and otherwise scaled by
    ``1 / (1 - rate)``, so at inference the branch is used as is.
    `drop_path_rates` gives the usual per-block ramp.

    Args:
        rate: Float in [0, 1), probability of dropping the branch.
        seed: Optional integer seed.
        mc: Bool. If True, also drops at inference.
        **kwargs: Base layer keyword arguments.

    Call arguments:
        inputs: The residual branch's output, ``(batch, ...)``.
        training: Python bool, whether the layer runs in training mode.

    Example:

    >>> import keras
    >>> from kerasreg.layers import StochasticDepth
    >>> inputs = keras.Input((8, 8, 16))
    >>> branch = keras.layers.Conv2D(16, 3, padding="same")(inputs)
    >>> outputs = inputs + StochasticDepth(0.2)(branch)
    >>> keras.Model(inputs, outputs).output_shape
    (None, 8, 8, 16)

    Reference:
        Huang, Sun, Liu, Sedra & Weinberger, "Deep Networks with Stochastic
        Depth", ECCV 2016.
    """

    def __init__(self, rate, seed=None, mc=False, **kwargs):
        super().__init__(rate=rate, seed=seed, mc=mc, **kwargs)

    def noise(self, inputs):
        return drop_path(inputs, self.rate, self.seed_generator)
