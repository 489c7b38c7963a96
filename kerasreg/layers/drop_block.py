"""`DropBlock2D`: drops contiguous square regions of feature maps."""

import keras
from keras import ops

from kerasreg.layers.stochastic_layer import StochasticLayer
from kerasreg.validation import check_choice, check_positive_int

# Bisection steps for the seed probability: 2**-40 is far below float32's
# resolution, so the solved gamma is exact to the last bit that matters.
_BISECTION_STEPS = 40


def _coverage_counts(size, block_size):
    """For each position along one axis, how many valid block origins cover it.

    Blocks start at origins ``0 .. size - block_size`` (blocks lie inside the
    map), so border positions are covered by fewer origins than inner ones.
    """
    positions = ops.arange(size, dtype="float32")
    last_origin = ops.cast(size - block_size, "float32")
    first = ops.maximum(positions - (block_size - 1), 0.0)
    last = ops.minimum(positions, last_origin)
    return last - first + 1.0


def dropblock_seed_probability(height, width, block_size, rate):
    """The per-origin seed probability that drops exactly ``rate`` of the map in expectation.

    A unit covered by ``n`` possible block origins survives with probability
    ``(1 - gamma) ** n``. Ghiasi et al. approximate ``gamma`` in closed form,
    ignoring overlaps and borders, which drops less than ``rate``; here
    ``mean(1 - (1 - gamma) ** n) = rate`` is solved by bisection (monotone
    in ``gamma``), in `keras.ops` so dynamic map sizes work too.
    """
    counts = ops.expand_dims(_coverage_counts(height, block_size), 1) * ops.expand_dims(
        _coverage_counts(width, block_size), 0
    )

    def step(_, bounds):
        low, high = bounds
        middle = 0.5 * (low + high)
        dropped = ops.mean(1.0 - ops.power(1.0 - middle, counts))
        too_many = dropped > rate
        return (ops.where(too_many, low, middle), ops.where(too_many, middle, high))

    low, high = ops.fori_loop(
        0,
        _BISECTION_STEPS,
        step,
        (ops.convert_to_tensor(0.0, "float32"), ops.convert_to_tensor(1.0, "float32")),
    )
    return 0.5 * (low + high)


def dropblock_keep_mask(shape, block_size, rate, seed, channels_last=True):
    """A float32 0/1 keep mask of ``shape`` (NHWC or NCHW) with square holes of ``block_size``."""
    if channels_last:
        batch, height, width, channels = shape
        seed_shape = (batch, height - block_size + 1, width - block_size + 1, channels)
        pad = ((0, 0), (block_size - 1,) * 2, (block_size - 1,) * 2, (0, 0))
        data_format = "channels_last"
    else:
        batch, channels, height, width = shape
        seed_shape = (batch, channels, height - block_size + 1, width - block_size + 1)
        pad = ((0, 0), (0, 0), (block_size - 1,) * 2, (block_size - 1,) * 2)
        data_format = "channels_first"
    gamma = dropblock_seed_probability(height, width, block_size, rate)
    seeds = ops.cast(
        keras.random.uniform(seed_shape, dtype="float32", seed=seed) < gamma,
        "float32",
    )
    # Each origin seed drops the block_size x block_size block below-right of
    # it: a max-pool over the zero-padded seed map marks every covered unit.
    dropped = ops.max_pool(
        ops.pad(seeds, pad),
        pool_size=block_size,
        strides=1,
        padding="valid",
        data_format=data_format,
    )
    return 1.0 - dropped


def drop_block(inputs, block_size, rate, seed, channels_last=True):
    """DropBlock with inverted scaling by the kept fraction of the batch."""
    keep = dropblock_keep_mask(ops.shape(inputs), block_size, rate, seed, channels_last)
    # Count in float32: a float16 sum over a whole batch of feature maps
    # would overflow.
    total = ops.cast(ops.size(keep), "float32")
    scale = total / ops.maximum(ops.sum(keep), 1.0)
    return inputs * ops.cast(keep * scale, inputs.dtype)


@keras.saving.register_keras_serializable(package="kerasreg")
class DropBlock2D(StochasticLayer):
    """DropBlock: drops contiguous ``block_size x block_size`` regions of each feature map.

    Dropout on convolutional features removes little information because
    neighbouring units are correlated; DropBlock drops whole square blocks
    instead. Block origins are sampled per example and channel so that the
    **expected fraction of dropped units equals** ``rate`` exactly, borders
    and overlapping blocks included (the paper's closed-form ``gamma`` drops
    less). Kept units are rescaled by ``units / kept units`` of the batch
    (inverted scaling), so inference is the identity. If ``block_size`` is
    larger than the map, it is clipped to the map's smaller side.

    Args:
        rate: Float in [0, 1), expected fraction of units dropped.
        block_size: Integer >= 1, side of the square blocks. ``block_size=1``
            is ordinary dropout.
        data_format: ``"channels_last"`` (NHWC) or ``"channels_first"``
            (NCHW); defaults to `keras.config.image_data_format()`.
        seed: Optional integer seed.
        mc: Bool. If True, also drops at inference.
        **kwargs: Base layer keyword arguments.

    Call arguments:
        inputs: 4D feature map.
        training: Python bool, whether the layer runs in training mode.

    Example:

    >>> import numpy as np
    >>> from kerasreg.layers import DropBlock2D
    >>> layer = DropBlock2D(rate=0.1, block_size=3, seed=0)
    >>> out = np.asarray(layer(np.ones((8, 16, 16, 4), "float32"), training=True))
    >>> out.shape, bool(abs((out == 0).mean() - 0.1) < 0.03)
    ((8, 16, 16, 4), True)

    Reference:
        Ghiasi, Lin & Le, "DropBlock: A regularization method for
        convolutional networks", NeurIPS 2018.
    """

    def __init__(self, rate, block_size, data_format=None, seed=None, mc=False, **kwargs):
        super().__init__(rate=rate, seed=seed, mc=mc, **kwargs)
        self.block_size = check_positive_int("block_size", block_size)
        self.data_format = check_choice(
            "data_format",
            data_format or keras.config.image_data_format(),
            ("channels_last", "channels_first"),
        )
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def noise(self, inputs):
        channels_last = self.data_format == "channels_last"
        spatial = inputs.shape[1:3] if channels_last else inputs.shape[2:4]
        block_size = self.block_size
        if None not in spatial:
            block_size = min(block_size, *spatial)
        return drop_block(inputs, block_size, self.rate, self.seed_generator, channels_last)

    def get_config(self):
        return {
            **super().get_config(),
            "block_size": self.block_size,
            "data_format": self.data_format,
        }
