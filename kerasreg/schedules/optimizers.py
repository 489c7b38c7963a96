"""`create_optimizer`: optimizers by name with explicit weight-decay modes."""

import keras

from kerasreg.config.regularization import WEIGHT_DECAY_MODES
from kerasreg.validation import check_choice, check_finite_float


def _decaying_matrices_only(base):
    """A registered subclass of Keras optimizer ``base`` that never decays 1-D variables.

    Biases, batch-norm scales and offsets and other vectors are excluded
    from weight decay when the optimizer is built (Keras's
    `exclude_from_weight_decay`, which must run before `build`). Being a
    registered class, a saved model's optimizer keeps the behaviour on load.

    It takes one argument more than ``base``: ``bias_learning_rate_multiplier``
    (float > 0, default 1), which multiplies the learning rate of those same
    1-D variables (airbench94 trains its batch-norm biases 64x faster).
    """

    def __init__(self, *args, bias_learning_rate_multiplier=1.0, **kwargs):
        base.__init__(self, *args, **kwargs)
        multiplier = check_finite_float("bias_learning_rate_multiplier", bias_learning_rate_multiplier)
        if multiplier <= 0:
            raise ValueError(
                "Invalid value received for argument `bias_learning_rate_multiplier`. "
                f"Expected a float > 0. Received: bias_learning_rate_multiplier={bias_learning_rate_multiplier!r}"
            )
        self.bias_learning_rate_multiplier = multiplier

    def build(self, variables):
        vectors = [v for v in variables if len(v.shape) <= 1]
        if vectors and self.weight_decay:
            self.exclude_from_weight_decay(var_list=vectors)
        base.build(self, variables)

    def update_step(self, gradient, variable, learning_rate):
        if self.bias_learning_rate_multiplier != 1.0 and len(variable.shape) <= 1:
            learning_rate = learning_rate * self.bias_learning_rate_multiplier
        return base.update_step(self, gradient, variable, learning_rate)

    def get_config(self):
        return {**base.get_config(self), "bias_learning_rate_multiplier": self.bias_learning_rate_multiplier}

    methods = {"__init__": __init__, "build": build, "update_step": update_step, "get_config": get_config}
    cls = type(base.__name__, (base,), {**methods, "__doc__": _decaying_matrices_only.__doc__})
    cls.__module__ = __name__
    return keras.saving.register_keras_serializable(package="kerasreg")(cls)


SGD = _decaying_matrices_only(keras.optimizers.SGD)
Adam = _decaying_matrices_only(keras.optimizers.Adam)
AdamW = _decaying_matrices_only(keras.optimizers.AdamW)
RMSprop = _decaying_matrices_only(keras.optimizers.RMSprop)
Adagrad = _decaying_matrices_only(keras.optimizers.Adagrad)

OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad}


def l2_regularizer(weight_decay):
    """The kernel regularizer equivalent to coupled weight decay ``weight_decay``.

    Coupled ("L2") decay adds ``weight_decay * w`` to each kernel's gradient,
    i.e. ``weight_decay / 2 * ||w||**2`` to the loss — Keras's ``L2(l2)``
    adds ``l2 * ||w||**2``, so ``l2 = weight_decay / 2``. Model builders put
    it on kernels only (never biases or batch-norm parameters).
    """
    weight_decay = check_finite_float("weight_decay", weight_decay)
    if weight_decay < 0:
        raise ValueError(
            "Invalid value received for argument `weight_decay`. Expected a float "
            f">= 0. Received: weight_decay={weight_decay!r}"
        )
    return keras.regularizers.L2(weight_decay / 2.0) if weight_decay > 0 else None


def create_optimizer(config, learning_rate):
    """Builds an optimizer from a config such as ``{"name": "sgd", "momentum": 0.9}``.

    ``name`` is one of ``sgd``, ``adam``, ``adamw``, ``rmsprop``, ``adagrad``;
    every other key except the two below is passed to the Keras optimizer
    (``momentum``, ``nesterov``, ``beta_1``, ``epsilon``, ``clipnorm``,
    ``use_ema``, ...), and Keras rejects the ones it does not know. One key
    is kerasreg's own: ``bias_learning_rate_multiplier`` (default 1)
    multiplies the learning rate of biases, batch-norm offsets and scales
    and other 1-D variables.

    Weight decay, in one of three explicit modes:

    - ``weight_decay_mode="decoupled"``: Keras's own ``weight_decay``
      (Loshchilov & Hutter 2019): ``w -= lr * weight_decay * w`` each step.
    - ``"l2"``: coupled decay through the loss. The optimizer gets no decay;
      the model builder puts `l2_regularizer(weight_decay)` on its kernels.
    - ``"none"``: no decay (``weight_decay`` must then be 0 or absent).

    In every mode biases, batch-norm parameters and other 1-D variables are
    not decayed. ``adamw`` without a ``weight_decay`` key keeps Keras's
    default (0.004); every other optimizer defaults to 0.

    Args:
        config: Mapping with ``name``, optionally ``weight_decay`` and
            ``weight_decay_mode`` (default ``"decoupled"``), and optimizer
            arguments.
        learning_rate: A float or a `LearningRateSchedule`.

    Returns:
        A Keras optimizer (a registered kerasreg subclass of the Keras one).

    Example:

    >>> from kerasreg.schedules import create_optimizer
    >>> optimizer = create_optimizer(
    ...     {"name": "sgd", "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4},
    ...     learning_rate=0.1)
    >>> type(optimizer).__name__, optimizer.weight_decay, optimizer.nesterov
    ('SGD', 0.0005, True)
    """
    if not hasattr(config, "items") or "name" not in config:
        raise ValueError(
            "Invalid value received for argument `config`. Expected a mapping with "
            f"a 'name' key. Received: config={config!r}"
        )
    arguments = dict(config)
    name = check_choice("name", arguments.pop("name"), tuple(OPTIMIZERS))
    mode = check_choice("weight_decay_mode", arguments.pop("weight_decay_mode", "decoupled"), WEIGHT_DECAY_MODES)
    if "weight_decay" in arguments:
        weight_decay = check_finite_float("weight_decay", arguments["weight_decay"])
        if weight_decay < 0 or (mode == "none" and weight_decay != 0):
            expected = "0 with weight_decay_mode='none'" if mode == "none" else "a float >= 0"
            raise ValueError(
                "Invalid value received for argument `weight_decay`. Expected "
                f"{expected}. Received: weight_decay={arguments['weight_decay']!r}"
            )
    if mode != "decoupled":
        # "l2": the model builder applies it as kernel regularizers instead.
        arguments["weight_decay"] = 0.0
    try:
        return OPTIMIZERS[name](learning_rate=learning_rate, **arguments)
    except (TypeError, ValueError) as error:
        raise ValueError(f"Invalid optimizer argument for '{name}': {error}") from None
