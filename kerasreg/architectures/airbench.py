"""`build_airbench`: airbench94's network at full resolution, for the CPU preset."""

import keras

from kerasreg.architectures.fast import DEFAULT_WIDTH, LOGIT_SCALE
from kerasreg.architectures.regularization import RegularizedLayers
from kerasreg.validation import check_positive_int, invalid_argument


def build_airbench(
    *, input_shape, num_classes, regularization, width=None, depth=None, seed=None, activation="gelu", first_width=None
):
    """The network of airbench94 (Jordan 2024), at full resolution.

    A 2x2 "valid" stem conv with stride 1 and ``2 * 2 * 2 * channels``
    filters (24 for RGB; 32x32 -> 31x31) followed by the activation only (no
    batch norm: it is sized to become a frozen patch-whitening layer, the
    config's ``model.whitening``, see `whiten_stem`), then three blocks with ``width``,
    ``4 * width`` and ``4 * width`` filters (64, 256, 256; ``first_width``
    sets the first block's apart from the others), each
    ``[conv 3x3, max-pool 2, BN, act, conv 3x3, BN, act]`` (the pool before
    batch norm, airbench's order), global max pooling and a bias-free
    `Dense` classifier whose logits are scaled by 1/9. Batch norm and its
    position follow the config; the ``blocks`` dropout placement puts the
    dropout after each block; ``dropconnect`` in the blocks makes the six
    block convolutions `DropConnectConv2D`. Stochastic depth is refused (no
    residual blocks); ``depth`` is fixed.

    Compared with ``"fast"`` (a stride-2 stem, 16x16 maps in block 1) it
    costs ~3x the compute per image and is ~3x slower on a 2-core CPU
    (docs/speed.md), and learns far more per epoch.

    Cost at 32x32x3, width 64, 10 classes (`estimate_flops`): 118.1M
    multiply-adds per image; 1,975,096 parameters.

    Call it through `kerasreg.architectures.build_model`, which validates
    the arguments.

    Args:
        input_shape: ``(height, width, channels)``, channels last.
        num_classes: Integer >= 1, the number of logits.
        regularization: A `Regularization`.
        width: Filters of the first block (default 64); the others have
            ``4 * width``.
        depth: Must be None (the depth is fixed).
        seed: None or an integer >= 0 (see `RegularizedLayers`).
        activation: Activation after the stem and each batch norm (default
            ``"gelu"``, airbench's; ``"relu"`` is much faster under mixed
            bfloat16 on CPU).
        first_width: Filters of the first block alone (default ``width``).
            Its first convolution runs on the 31x31 maps, so on a CPU a
            narrower first block is the cheapest place to save time; the
            other blocks keep ``4 * width``.

    Returns:
        A `keras.Model` named ``"airbench"`` (a `MultiSampleModel` with the
        ``multisample`` head).

    Example:

    >>> from kerasreg.architectures import Regularization, build_model, estimate_flops
    >>> model = build_model("airbench", input_shape=(32, 32, 3), num_classes=10,
    ...                     regularization=Regularization())
    >>> model.output_shape, model.get_layer("stem").output.shape
    ((None, 10), (None, 31, 31, 24))

    Reference:
        Jordan, "94% on CIFAR-10 in 3.29 Seconds on a Single GPU",
        arXiv:2404.00498, 2024.
    """
    if depth is not None:
        raise invalid_argument("depth", "None for model 'airbench' (its depth is fixed)", depth)
    width = DEFAULT_WIDTH if width is None else check_positive_int("width", width)
    first_width = width if first_width is None else check_positive_int("first_width", first_width)
    layers = RegularizedLayers(regularization, seed)
    layers.reject_stochastic_depth("airbench")

    inputs = keras.Input(input_shape)
    x = layers.conv(8 * input_shape[-1], kernel_size=2, padding="valid", in_block=False, name="stem")(inputs)
    x = keras.layers.Activation(activation, name="stem_act")(x)
    for block, filters in enumerate((first_width, 4 * width, 4 * width), start=1):
        x = layers.conv_norm_act(x, filters, activation=activation, pool_size=2, name=f"block{block}_conv1")
        x = layers.conv_norm_act(x, filters, activation=activation, name=f"block{block}_conv2")
        x = layers.block_dropout(x, name=f"block{block}_dropout")
    x = keras.layers.GlobalMaxPooling2D(name="global_pool")(x)
    logits = layers.classifier(x, num_classes, use_bias=False)
    outputs = keras.layers.Rescaling(LOGIT_SCALE, dtype="float32", name="logit_scale")(logits)
    return layers.model(inputs, outputs, name="airbench")
