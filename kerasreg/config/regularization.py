"""The ``regularization`` section of an experiment config (`Regularization`).

Plain data, validated on construction, with no Keras import: the command
line checks a config before it loads TensorFlow.
`kerasreg.architectures.RegularizedLayers` turns it into layers.
"""

import dataclasses
import numbers
from collections.abc import Mapping

from kerasreg.validation import (
    check_bool,
    check_choice,
    check_finite_float,
    check_positive_int,
    check_rate,
    invalid_argument,
)

# How weight decay is applied: by the optimizer, as an L2 loss on kernels, or not at all.
WEIGHT_DECAY_MODES = ("decoupled", "l2", "none")
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


def as_regularization(value):
    """A `Regularization` from a `Regularization`, a mapping or None (the defaults)."""
    if value is None:
        return Regularization()
    if isinstance(value, Regularization):
        return value
    if isinstance(value, Mapping):
        return Regularization.from_dict(value)
    raise invalid_argument("regularization", "a Regularization, a mapping or None", value)
