"""The ``regularization`` config section (`Regularization`) and the layers it turns into.

`Regularization` is what an experiment's ``[regularization]`` TOML table
loads into: only str/int/float/bool fields, each with a default, validated
once on construction. `RegularizedLayers` turns it into layers for one model
(conv + norm + activation, block dropout, the classifier head, stochastic
depth), so every builder applies the options the same way.
"""

import dataclasses
import math
import numbers
from collections.abc import Mapping

import keras

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
from kerasreg.schedules.optimizers import WEIGHT_DECAY_MODES
from kerasreg.validation import (
    check_bool,
    check_choice,
    check_finite_float,
    check_positive_int,
    check_rate,
    check_seed,
    invalid_argument,
)

DROPOUTS = (
    "none",
    "dropout",
    "spatial",
    "mc",
    "dropconnect",
    "multisample",
    "adaptive",
    "dropblock",
    "scheduled",
    "concrete",
)
PLACEMENTS = ("head", "blocks", "both")
BN_POSITIONS = ("before_activation", "after_activation")

# Variants that only make sense at one placement, and why.
_BLOCKS_ONLY = {
    "spatial": "it drops whole channels of feature maps, and the head has none",
    "dropblock": "it drops square regions of feature maps, and the head has none",
}
_HEAD_ONLY = {
    "multisample": "it wraps the classifier",
    "concrete": "it wraps the classifier",
}
# Variants whose layer cannot express dropout_rate=0.
_NEEDS_POSITIVE_RATE = ("adaptive", "concrete")

# Default batch-norm momentum (`Regularization.bn_momentum`): PyTorch's
# default (0.1 there), which suits short CIFAR runs better than Keras's 0.99.
BN_MOMENTUM = 0.9
# Offset between the seeds of kernel initializers (seed + i) and those of
# stochastic layers (seed + NOISE_SEED_OFFSET + k).
NOISE_SEED_OFFSET = 10_000


def _check_non_negative_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise invalid_argument(name, "an integer >= 0", value)
    return int(value)


def _field(name):
    return f"regularization.{name}"


@dataclasses.dataclass(frozen=True)
class Regularization:
    """The ``regularization`` section of an experiment config.

    Every field has a default; the defaults give a model with batch norm,
    no dropout, no stochastic depth and decoupled weight decay 5e-4 (applied
    by the optimizer). Construction validates every field and raises
    ``ValueError`` naming the field, what is allowed and the value received;
    the object is frozen (use `dataclasses.replace` for variants).

    Args:
        dropout: ``"none"``; ``"dropout"`` (Keras `Dropout`); ``"spatial"``
            (Keras `SpatialDropout2D`); ``"mc"`` (`MCDropout`, samples at
            inference too); ``"dropconnect"`` (`DropConnectDense` classifier
            at the head, `DropConnectConv2D` for the convolutions of the
            blocks); ``"multisample"`` (`MultiSampleDropout` over the
            classifier, the model is then a `MultiSampleModel`);
            ``"adaptive"`` (`AdaptiveDropout`, Standout with ``alpha=1`` and
            ``beta = log((1 - rate) / rate)``, so a zero activation is kept
            with probability ``1 - dropout_rate``); ``"dropblock"``
            (`DropBlock2D`); ``"scheduled"`` (`ScheduledDropout`, linear
            ramp); ``"concrete"`` (`ConcreteDropout` wrapping the
            classifier, ``dropout_rate`` is its initial rate).
        dropout_rate: Float in [0, 1), the drop rate (in (0, 1) for
            ``adaptive`` and ``concrete``). Default 0.5.
        dropout_placement: ``"head"`` (before the classifier), ``"blocks"``
            (after each stage of the network) or ``"both"``. ``spatial`` and
            ``dropblock`` need ``"blocks"``; ``multisample`` and ``concrete``
            need ``"head"``.
        block_size: Integer >= 1, DropBlock's block side. Default 3.
        multisample_count: Integer >= 1, dropout samples of
            ``multisample``. Default 8.
        scheduled_warmup_steps: Integer >= 1, training steps of the
            ``scheduled`` ramp. Default 1000.
        batch_norm: Bool, batch norm after every convolution. Default True.
        bn_position: ``"before_activation"`` (conv-BN-act, default) or
            ``"after_activation"`` (conv-act-BN).
        ghost_batch_size: Integer >= 0; 0 is Keras `BatchNormalization`,
            more is `GhostBatchNormalization` with that virtual batch size
            (needs ``batch_norm=True``).
        bn_momentum: Float in [0, 1), the moving-average momentum of every
            batch norm's statistics (Keras's convention: the weight of the
            old value). Default 0.9 (PyTorch's 0.1), which suits short
            runs better than Keras's 0.99; airbench uses 0.6.
        bn_scale: Bool, whether batch norm learns a scale (gamma). Default
            True; False fixes it at 1 (airbench: the following ReLU/GELU
            and convolution can absorb a scale, and it saves work).
        stochastic_depth: Float in [0, 1), the rate of the last residual
            block of the linear ramp (`drop_path_rates`). Builders without
            residual blocks refuse a value > 0.
        weight_decay: Float >= 0. Default 5e-4.
        weight_decay_mode: ``"decoupled"`` (default: the optimizer decays,
            builders add nothing), ``"l2"`` (builders put
            `l2_regularizer(weight_decay)` on every Conv/Dense kernel) or
            ``"none"`` (no decay; ``weight_decay`` is then not used).

    Example:

    >>> from kerasreg.architectures import Regularization
    >>> config = Regularization.from_dict(
    ...     {"dropout": "dropblock", "dropout_placement": "blocks", "dropout_rate": 0.1})
    >>> config.dropout, config.block_size, config.decoupled_weight_decay
    ('dropblock', 3, 0.0005)
    >>> Regularization(dropout="drop")
    Traceback (most recent call last):
    ...
    ValueError: Invalid value received for argument `regularization.dropout`. Expected one of 'none', ... Received: regularization.dropout='drop'
    """

    dropout: str = "none"
    dropout_rate: float = 0.5
    dropout_placement: str = "head"
    block_size: int = 3
    multisample_count: int = 8
    scheduled_warmup_steps: int = 1000
    batch_norm: bool = True
    bn_position: str = "before_activation"
    ghost_batch_size: int = 0
    bn_momentum: float = BN_MOMENTUM
    bn_scale: bool = True
    stochastic_depth: float = 0.0
    weight_decay: float = 5e-4
    weight_decay_mode: str = "decoupled"

    def __post_init__(self):
        checked = {
            "dropout": check_choice(_field("dropout"), self.dropout, DROPOUTS),
            "dropout_rate": check_rate(_field("dropout_rate"), self.dropout_rate),
            "dropout_placement": check_choice(
                _field("dropout_placement"), self.dropout_placement, PLACEMENTS
            ),
            "block_size": check_positive_int(_field("block_size"), self.block_size),
            "multisample_count": check_positive_int(
                _field("multisample_count"), self.multisample_count
            ),
            "scheduled_warmup_steps": check_positive_int(
                _field("scheduled_warmup_steps"), self.scheduled_warmup_steps
            ),
            "batch_norm": check_bool(_field("batch_norm"), self.batch_norm),
            "bn_position": check_choice(_field("bn_position"), self.bn_position, BN_POSITIONS),
            "ghost_batch_size": _check_non_negative_int(
                _field("ghost_batch_size"), self.ghost_batch_size
            ),
            "bn_momentum": check_rate(_field("bn_momentum"), self.bn_momentum),
            "bn_scale": check_bool(_field("bn_scale"), self.bn_scale),
            "stochastic_depth": check_rate(_field("stochastic_depth"), self.stochastic_depth),
            "weight_decay": check_finite_float(_field("weight_decay"), self.weight_decay),
            "weight_decay_mode": check_choice(
                _field("weight_decay_mode"), self.weight_decay_mode, WEIGHT_DECAY_MODES
            ),
        }
        if checked["weight_decay"] < 0:
            raise invalid_argument(_field("weight_decay"), "a float >= 0", self.weight_decay)
        for name, value in checked.items():
            object.__setattr__(self, name, value)
        self._check_combinations()

    def _check_combinations(self):
        dropout, placement = self.dropout, self.dropout_placement
        if dropout in _BLOCKS_ONLY and placement != "blocks":
            raise invalid_argument(
                _field("dropout_placement"),
                f"'blocks' with dropout={dropout!r} ({_BLOCKS_ONLY[dropout]})",
                placement,
            )
        if dropout in _HEAD_ONLY and placement != "head":
            raise invalid_argument(
                _field("dropout_placement"),
                f"'head' with dropout={dropout!r} ({_HEAD_ONLY[dropout]})",
                placement,
            )
        if dropout in _NEEDS_POSITIVE_RATE and self.dropout_rate == 0.0:
            raise invalid_argument(
                _field("dropout_rate"), f"a float in (0, 1) with dropout={dropout!r}", 0.0
            )
        if self.ghost_batch_size and not self.batch_norm:
            raise invalid_argument(
                _field("ghost_batch_size"),
                "0 with batch_norm=False (Ghost batch norm is a batch norm)",
                self.ghost_batch_size,
            )

    @classmethod
    def from_dict(cls, config):
        """A `Regularization` from a mapping (a TOML table); unknown keys are an error."""
        if not isinstance(config, Mapping):
            raise invalid_argument("regularization", "a mapping of field names to values", config)
        fields = [field.name for field in dataclasses.fields(cls)]
        unknown = sorted(set(config) - set(fields))
        if unknown:
            allowed = ", ".join(repr(name) for name in fields)
            raise ValueError(
                f"Unknown field(s) in the regularization section: "
                f"{', '.join(repr(name) for name in unknown)}. Expected fields: {allowed}"
            )
        return cls(**config)

    def to_dict(self):
        """The fields as a plain dict (what `from_dict` reads back)."""
        return dataclasses.asdict(self)

    @property
    def in_head(self):
        """Whether a dropout variant is placed at the head."""
        return self.dropout != "none" and self.dropout_placement in ("head", "both")

    @property
    def in_blocks(self):
        """Whether a dropout variant is placed in the blocks."""
        return self.dropout != "none" and self.dropout_placement in ("blocks", "both")

    @property
    def decoupled_weight_decay(self):
        """The ``weight_decay`` the optimizer applies: the value in mode ``decoupled``, else 0."""
        return self.weight_decay if self.weight_decay_mode == "decoupled" else 0.0

    def kernel_regularizer(self):
        """A fresh `l2_regularizer(weight_decay)` in mode ``l2`` (None if 0), else None."""
        if self.weight_decay_mode != "l2":
            return None
        return l2_regularizer(self.weight_decay)


def as_regularization(value):
    """A `Regularization` from a `Regularization`, a mapping or None (the defaults)."""
    if value is None:
        return Regularization()
    if isinstance(value, Regularization):
        return value
    if isinstance(value, Mapping):
        return Regularization.from_dict(value)
    raise invalid_argument("regularization", "a Regularization, a mapping or None", value)


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
            kernel_regularizer=reg.kernel_regularizer(),
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
            kernel_regularizer=reg.kernel_regularizer(),
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
                _field("stochastic_depth"),
                f"0 for model {model_name!r}, which has no residual blocks",
                self.regularization.stochastic_depth,
            )

    # The model.

    def model(self, inputs, outputs, name=None):
        """`MultiSampleModel` with the ``multisample`` head, else `keras.Model`."""
        if self.regularization.in_head and self.regularization.dropout == "multisample":
            return MultiSampleModel(inputs, outputs, name=name)
        return keras.Model(inputs, outputs, name=name)
