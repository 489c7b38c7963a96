"""The layers a `Regularization` (the ``regularization`` config section) turns into.

`Regularization` lives in `kerasreg.config.regularization` (plain data, no
Keras) and is re-exported here. `RegularizedLayers` turns it into layers for one model
(conv + norm + activation, block dropout, the classifier head, stochastic
depth), so every builder applies the options the same way.
"""

import math

import keras

from kerasreg.config.regularization import (
    BN_MOMENTUM,
    BN_POSITIONS,
    DROPOUTS,
    PLACEMENTS,
    Regularization,
    as_regularization,
)
from kerasreg.layers import (
    AdaptiveDropout,
    ConcreteDropout,
    DropBlock2D,
    DropConnectConv2D,
    DropConnectDense,
    GhostBatchNormalization,
    MCDropout,
    MultiSampleDropout,
    ScheduledDropout,
    StochasticDepth,
    drop_path_rates,
)
from kerasreg.models import MultiSampleModel
from kerasreg.schedules import l2_regularizer
from kerasreg.validation import check_seed, invalid_argument

__all__ = ["BN_MOMENTUM", "BN_POSITIONS", "DROPOUTS", "PLACEMENTS", "Regularization", "RegularizedLayers",
           "as_regularization", "kernel_regularizer"]  # fmt: skip

# Offset between the seeds of kernel initializers (seed + i) and those of
# stochastic layers (seed + NOISE_SEED_OFFSET + k).
NOISE_SEED_OFFSET = 10_000


def kernel_regularizer(regularization):
    """A fresh `l2_regularizer(weight_decay)` in mode ``l2`` (None if 0), else None (the optimizer decays)."""
    if regularization.weight_decay_mode != "l2":
        return None
    return l2_regularizer(regularization.weight_decay)


class RegularizedLayers:
    """Makes the layers of one model the way a `Regularization` asks.

    The shared toolkit of the model builders: convolutions with
    norm/activation in the configured order, the dropout after a stage, the
    classifier head, stochastic depth on residual branches, and the model
    class. Kernel initializers and stochastic layers are seeded from
    ``seed`` (kernel ``i`` in build order gets ``seed + i``, stochastic
    layer ``k`` gets ``seed + 10000 + k``), so a builder called twice with
    the same seed gives the same model, and the same architecture starts
    from the same weights whatever the dropout variant. With ``seed=None``
    everything follows Keras's global seed.

    Args:
        regularization: A `Regularization`.
        seed: None or an integer >= 0.

    Example:

    >>> import keras
    >>> from kerasreg.architectures import Regularization, RegularizedLayers
    >>> layers = RegularizedLayers(Regularization(dropout="mc", dropout_rate=0.2), seed=0)
    >>> inputs = keras.Input((8, 8, 3))
    >>> x = layers.conv_norm_act(inputs, 4, name="conv")
    >>> outputs = layers.classifier(keras.layers.GlobalAveragePooling2D()(x), 3)
    >>> [type(layer).__name__ for layer in layers.model(inputs, outputs).layers[1:]]
    ['Conv2D', 'BatchNormalization', 'Activation', 'GlobalAveragePooling2D', 'MCDropout', 'Dense']
    """

    def __init__(self, regularization, seed=None):
        if not isinstance(regularization, Regularization):
            raise invalid_argument("regularization", "a Regularization", regularization)
        self.regularization = regularization
        self.seed = check_seed(seed)
        self._kernels = 0
        self._noises = 0

    def _kernel_seed(self):
        self._kernels += 1
        return None if self.seed is None else self.seed + self._kernels - 1

    def _noise_seed(self):
        self._noises += 1
        return None if self.seed is None else self.seed + NOISE_SEED_OFFSET + self._noises - 1

    # Convolutions and normalization.

    def conv(
        self, filters, kernel_size=3, strides=1, *, padding="same", use_bias=True, in_block=True, name=None
    ):
        """A `Conv2D` (He-normal kernel, kernel regularizer of the config).

        A `DropConnectConv2D` instead when ``in_block`` and the config puts
        ``dropconnect`` in the blocks. Stems and shortcuts pass
        ``in_block=False``.
        """
        reg = self.regularization
        arguments = dict(
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            padding=padding,
            use_bias=use_bias,
            kernel_initializer=keras.initializers.HeNormal(seed=self._kernel_seed()),
            kernel_regularizer=kernel_regularizer(reg),
            name=name,
        )
        if in_block and reg.in_blocks and reg.dropout == "dropconnect":
            return DropConnectConv2D(rate=reg.dropout_rate, seed=self._noise_seed(), **arguments)
        return keras.layers.Conv2D(**arguments)

    def norm(self, name=None):
        """The configured batch norm layer (Keras or Ghost), or None without batch norm."""
        reg = self.regularization
        if not reg.batch_norm:
            return None
        arguments = dict(momentum=reg.bn_momentum, scale=reg.bn_scale, name=name)
        if reg.ghost_batch_size:
            return GhostBatchNormalization(virtual_batch_size=reg.ghost_batch_size, **arguments)
        return keras.layers.BatchNormalization(**arguments)

    def conv_norm_act(
        self,
        x,
        filters,
        kernel_size=3,
        strides=1,
        *,
        activation="relu",
        padding="same",
        in_block=True,
        pool_size=None,
        name,
    ):
        """Convolution, batch norm and activation in the configured order.

        ``before_activation``: conv-BN-act; ``after_activation``: conv-act-BN;
        no batch norm: conv-act. With ``activation=None`` (the last conv of a
        residual branch) it is conv-BN whatever the position. The conv has a
        bias only when no batch norm follows it directly. ``pool_size`` puts
        a max-pool (``"valid"``: odd sizes round down) right after the conv, so batch norm
        and activation run on the smaller map (airbench's order). Layers are
        named ``name``, ``name + "_pool"``, ``name + "_bn"`` and ``name + "_act"``.
        """
        reg = self.regularization
        norm_first = reg.batch_norm and (
            activation is None or reg.bn_position == "before_activation"
        )
        x = self.conv(
            filters,
            kernel_size,
            strides,
            padding=padding,
            use_bias=not norm_first,
            in_block=in_block,
            name=name,
        )(x)
        if pool_size is not None:
            x = keras.layers.MaxPooling2D(pool_size, name=f"{name}_pool")(x)
        if norm_first:
            x = self.norm(name=f"{name}_bn")(x)
        if activation is not None:
            x = keras.layers.Activation(activation, name=f"{name}_act")(x)
            if reg.batch_norm and not norm_first:
                x = self.norm(name=f"{name}_bn")(x)
        return x

    # Dropout.

    def _dropout(self, name):
        """The activation-dropping layer of the configured variant."""
        reg = self.regularization
        rate, seed = reg.dropout_rate, self._noise_seed()
        if reg.dropout == "dropout":
            return keras.layers.Dropout(rate, seed=seed, name=name)
        if reg.dropout == "spatial":
            return keras.layers.SpatialDropout2D(rate, seed=seed, name=name)
        if reg.dropout == "mc":
            return MCDropout(rate, seed=seed, name=name)
        if reg.dropout == "adaptive":
            beta = math.log((1.0 - rate) / rate)
            return AdaptiveDropout(alpha=1.0, beta=beta, seed=seed, name=name)
        if reg.dropout == "dropblock":
            return DropBlock2D(rate, block_size=reg.block_size, seed=seed, name=name)
        if reg.dropout == "scheduled":
            return ScheduledDropout(
                rate, warmup_steps=reg.scheduled_warmup_steps, seed=seed, name=name
            )
        raise AssertionError(f"no activation dropout for {reg.dropout!r}")  # pragma: no cover

    def block_dropout(self, x, *, name):
        """The dropout after a stage, when the config places one in the blocks.

        ``dropconnect`` is applied by `conv` instead, so this is the identity
        for it (and for ``none`` or the ``head`` placement).
        """
        reg = self.regularization
        if not reg.in_blocks or reg.dropout == "dropconnect":
            return x
        return self._dropout(name)(x)

    def classifier(self, x, num_classes, *, use_bias=True, name="classifier"):
        """The logits layer over features ``x``, with the configured head dropout.

        Plain `Dense`, or the head variant: a dropout layer before it
        (``dropout``, ``mc``, ``adaptive``, ``scheduled``), a
        `DropConnectDense`, a `MultiSampleDropout` or a `ConcreteDropout`
        around it. The head runs in float32 (also under mixed precision).
        """
        reg = self.regularization
        head = reg.dropout if reg.in_head else "none"
        if head in ("dropout", "mc", "adaptive", "scheduled"):
            x = self._dropout(f"{name}_dropout")(x)
        dense = dict(
            units=num_classes,
            use_bias=use_bias,
            kernel_initializer=keras.initializers.GlorotUniform(seed=self._kernel_seed()),
            kernel_regularizer=kernel_regularizer(reg),
            dtype="float32",
        )
        if head == "dropconnect":
            return DropConnectDense(rate=reg.dropout_rate, seed=self._noise_seed(), name=name, **dense)(x)
        if head == "multisample":
            return MultiSampleDropout(
                keras.layers.Dense(name=name, **dense),
                num_samples=reg.multisample_count,
                rate=reg.dropout_rate,
                seed=self._noise_seed(),
                dtype="float32",
                name=f"{name}_multisample",
            )(x)
        if head == "concrete":
            return ConcreteDropout(
                keras.layers.Dense(name=name, **dense),
                init_rate=reg.dropout_rate,
                seed=self._noise_seed(),
                dtype="float32",
                name=f"{name}_concrete",
            )(x)
        return keras.layers.Dense(name=name, **dense)(x)

    # Stochastic depth.

    def drop_path_rates(self, num_blocks):
        """The per-block stochastic-depth rates: the linear ramp to ``stochastic_depth``."""
        return drop_path_rates(self.regularization.stochastic_depth, num_blocks)

    def drop_path(self, branch, rate, *, name):
        """`StochasticDepth` on a residual branch; the identity (no layer) at rate 0."""
        if rate == 0.0:
            return branch
        return StochasticDepth(rate, seed=self._noise_seed(), name=name)(branch)

    def reject_stochastic_depth(self, model_name):
        """Raises if the config asks for stochastic depth of a model without residual blocks."""
        if self.regularization.stochastic_depth > 0:
            raise invalid_argument(
                "regularization.stochastic_depth",
                f"0 for model {model_name!r}, which has no residual blocks",
                self.regularization.stochastic_depth,
            )

    # The model.

    def model(self, inputs, outputs, name=None):
        """`MultiSampleModel` with the ``multisample`` head, else `keras.Model`."""
        if self.regularization.in_head and self.regularization.dropout == "multisample":
            return MultiSampleModel(inputs, outputs, name=name)
        return keras.Model(inputs, outputs, name=name)
