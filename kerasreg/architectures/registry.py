"""The model registry: `MODELS`, `build_model`, `register_model`, `model_names`."""

import inspect
import numbers

import keras

from kerasreg.architectures.airbench import build_airbench
from kerasreg.architectures.cnn import build_cnn
from kerasreg.architectures.fast import build_fast
from kerasreg.architectures.regularization import as_regularization
from kerasreg.architectures.resnet import build_resnet
from kerasreg.config.sections import ACTIVATIONS, BUILTIN_MODELS
from kerasreg.validation import check_choice, check_positive_int, check_seed, invalid_argument

# `BUILTIN_MODELS` (in the config, which checks names before Keras is loaded) names these.
MODELS = dict(zip(BUILTIN_MODELS, (build_airbench, build_cnn, build_fast, build_resnet)))
# What `build_model(activation=...)` accepts (Keras activation names): `ACTIVATIONS`.


def model_names():
    """The registered model names, sorted."""
    return tuple(sorted(MODELS))


def register_model(name):
    """Decorator: registers a builder under ``name`` (a recipe's own model).

    The builder takes the keyword arguments of `build_model` except
    ``name`` and returns a model with logits; `RegularizedLayers` gives it
    the configured layers. Registering a taken name is an error.

    Example:

    >>> import keras
    >>> from kerasreg.architectures import MODELS, RegularizedLayers, register_model
    >>> @register_model("docs_linear")
    ... def build_linear(*, input_shape, num_classes, regularization, width=None, depth=None, seed=None):
    ...     layers = RegularizedLayers(regularization, seed)
    ...     inputs = keras.Input(input_shape)
    ...     features = keras.layers.GlobalAveragePooling2D()(inputs)
    ...     return layers.model(inputs, layers.classifier(features, num_classes), name="linear")
    >>> del MODELS["docs_linear"]
    """
    if not isinstance(name, str) or not name:
        raise invalid_argument("name", "a non-empty string", name)
    if name in MODELS:
        raise ValueError(f"A model named {name!r} is already registered.")

    def register(builder):
        MODELS[name] = builder
        return builder

    return register


def _takes(argument):
    """The registered models whose builder takes ``argument``, sorted."""
    return [name for name in model_names() if argument in inspect.signature(MODELS[name]).parameters]


def _check_input_shape(input_shape):
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = None
    def size(d):
        return not isinstance(d, bool) and isinstance(d, numbers.Integral) and d >= 1

    # Height and width may be None (a model for any image size); the channels may not.
    if shape is None or len(shape) != 3 or not size(shape[2]) or any(d is not None and not size(d) for d in shape[:2]):
        raise invalid_argument(
            "input_shape", "(height, width, channels): integers >= 1, height and width None for any size", input_shape
        )
    return tuple(None if d is None else int(d) for d in shape)


def build_model(
    name, *, input_shape, num_classes, regularization, width=None, depth=None, seed=None, activation=None, first_width=None
):
    """Builds the registered model ``name`` with the given regularization.

    Every builder applies the ``regularization`` section the same way (see
    `Regularization` and `RegularizedLayers`), returns **logits** (compile
    with ``from_logits=True`` losses), and is a
    `kerasreg.models.MultiSampleModel` with the ``multisample`` head, a
    `keras.Model` otherwise. Weight decay in mode ``"l2"`` is in the model
    (kernel regularizers); in mode ``"decoupled"`` the optimizer must apply
    `Regularization.decoupled_weight_decay`. Label smoothing, augmentation
    and early stopping are the training engine's.

    Models (see each builder's docstring):

    - ``"cnn"``: VGG-style, ``depth`` stages (3) of two 3x3 convs and a
      max-pool, ``width`` (32) filters doubling per stage.
    - ``"resnet"``: ResNet v1 for CIFAR, ``depth`` = 6n + 2 (20; 32, 56, ...),
      ``width`` (16) filters in the first stage.
    - ``"fast"``: an airbench-style net for CPUs, ``width`` (64) filters in
      the first block, 16x16 maps after a stride-2 stem; no ``depth``.
    - ``"airbench"``: airbench94's net at full resolution (31x31 after a
      2x2 stem), ``width`` (64); ~3x the compute of ``fast``; no ``depth``.

    Args:
        name: A registered model name (`model_names()`).
        input_shape: ``(height, width, channels)``, channels last; every
            builder works from 28x28 (1 or 3 channels) up. Height and width
            may be None: a model for any image size (progressive resizing).
        num_classes: Integer >= 1, the number of logits.
        regularization: A `Regularization`, or a mapping of its fields (a
            TOML table; unknown keys are an error).
        width: Optional integer >= 1, the builder's width (None: its default).
        depth: Optional integer, the builder's depth (None: its default).
        seed: None or an integer >= 0; seeds the kernel initializers and
            stochastic layers, so the same seed gives the same model.
        activation: None (the builder's own: ReLU for ``cnn`` and
            ``resnet``, GELU for ``fast`` and ``airbench``) or one of `ACTIVATIONS`, used
            after every hidden conv; passed only to builders when given.
        first_width: Optional integer >= 1, the first block's width apart
            from the others' (``"airbench"`` only; None: ``width``). Passed
            only when given; a builder without it refuses it.

    Returns:
        An unbuilt-optimizer (uncompiled) Keras model.

    Example:

    >>> from kerasreg.architectures import Regularization, build_model
    >>> regularization = Regularization(dropout="multisample", multisample_count=4)
    >>> model = build_model("cnn", input_shape=(32, 32, 3), num_classes=10,
    ...                     regularization=regularization, width=8, seed=0)
    >>> type(model).__name__, model.name, model.output_shape
    ('MultiSampleModel', 'cnn-3', (None, 10))
    """
    name = check_choice("name", name, model_names())
    if keras.config.image_data_format() != "channels_last":
        raise ValueError(
            "kerasreg.architectures builds channels_last models. Received: "
            f"keras.config.image_data_format()={keras.config.image_data_format()!r}"
        )
    extra = {} if activation is None else {"activation": check_choice("activation", activation, ACTIVATIONS)}
    if first_width is not None:
        if "first_width" not in inspect.signature(MODELS[name]).parameters:
            takes = ", ".join(repr(model) for model in _takes("first_width"))
            raise invalid_argument(
                "first_width", f"None for model {name!r} (models that size their first block apart: {takes})", first_width
            )
        extra["first_width"] = check_positive_int("first_width", first_width)
    return MODELS[name](
        input_shape=_check_input_shape(input_shape),
        num_classes=check_positive_int("num_classes", num_classes),
        regularization=as_regularization(regularization),
        width=None if width is None else check_positive_int("width", width),
        depth=depth,
        seed=check_seed(seed),
        **extra,
    )
