"""`build_fast`: a small, fast CIFAR network for CPU runs, after airbench."""

import keras

from kerasreg.architectures.regularization import RegularizedLayers
from kerasreg.validation import check_positive_int, invalid_argument

DEFAULT_WIDTH = 64
# airbench's fixed logit scale: the max-pooled features are large.
LOGIT_SCALE = 1.0 / 9.0


def build_fast(*, input_shape, num_classes, regularization, width=None, depth=None, seed=None, activation="gelu"):
    """A small fast network for a 2-core CPU, in the spirit of airbench.

    A 2x2 stride-2 "patchify" stem conv with ``width // 2`` filters (32x32
    -> 16x16; ``"airbench"`` is the full-resolution version, ~3x the
    compute and the cpu preset's net), then three blocks with ``width``, ``4 * width`` and
    ``4 * width`` filters (64, 256, 256 by default), each
    ``[conv 3x3 - BN - GELU, max-pool 2, conv 3x3 - BN - GELU]``, global max
    pooling, and a bias-free `Dense` classifier whose logits are scaled by
    the fixed factor 1/9 (airbench's). Batch norm follows the config
    (`RegularizedLayers.conv_norm_act`, the stem included); the ``blocks``
    dropout placement puts the dropout after each block; ``dropconnect`` in
    the blocks makes the six block convolutions `DropConnectConv2D`.
    Stochastic depth is refused (no residual blocks). ``depth`` is fixed:
    passing one is an error.

    Cost at 32x32x3, width 64, 10 classes (`estimate_flops`): 37.8M
    multiply-adds per image (75.7 MFLOP counting multiplies and adds
    separately); 1,979,904 parameters (1,977,536 trainable). At 28x28x1:
    33.9M multiply-adds. By layer at 32x32 (multiply-adds): stem 0.1M
    (to 16x16); block 1 4.7M + 2.4M (16x16, then 8x8); block 2 9.4M + 9.4M
    (8x8, 4x4); block 3 9.4M + 2.4M (4x4, 2x2); classifier 2.6K.

    Call it through `kerasreg.architectures.build_model`, which validates
    the arguments.

    Args:
        input_shape: ``(height, width, channels)``, channels last.
        num_classes: Integer >= 1, the number of logits.
        regularization: A `Regularization`.
        width: Filters of the first block (default 64); the others have
            ``4 * width``, the stem ``max(width // 2, 1)``.
        depth: Must be None (the depth is fixed).
        seed: None or an integer >= 0 (see `RegularizedLayers`).
        activation: Activation after each batch norm (default ``"gelu"``,
            airbench's; ``"relu"`` is ~2x faster under mixed bfloat16 on CPU).

    Returns:
        A `keras.Model` named ``"fast"`` (a `MultiSampleModel` with the
        ``multisample`` head).

    Example:

    >>> from kerasreg.architectures import Regularization, build_model, estimate_flops
    >>> model = build_model("fast", input_shape=(32, 32, 3), num_classes=10,
    ...                     regularization=Regularization())
    >>> model.output_shape, round(estimate_flops(model) / 1e6, 1)
    ((None, 10), 37.8)

    Reference:
        Jordan, "94% on CIFAR-10 in 3.29 Seconds on a Single GPU",
        arXiv:2404.00498, 2024.
    """
    if depth is not None:
        raise invalid_argument("depth", "None for model 'fast' (its depth is fixed)", depth)
    width = DEFAULT_WIDTH if width is None else check_positive_int("width", width)
    layers = RegularizedLayers(regularization, seed)
    layers.reject_stochastic_depth("fast")

    inputs = keras.Input(input_shape)
    x = layers.conv_norm_act(
        inputs,
        max(width // 2, 1),
        kernel_size=2,
        strides=2,
        activation=activation,
        padding="valid",
        in_block=False,
        name="stem",
    )
    for block, filters in enumerate((width, 4 * width, 4 * width), start=1):
        x = layers.conv_norm_act(x, filters, activation=activation, name=f"block{block}_conv1")
        x = keras.layers.MaxPooling2D(2, padding="same", name=f"block{block}_pool")(x)
        x = layers.conv_norm_act(x, filters, activation=activation, name=f"block{block}_conv2")
        x = layers.block_dropout(x, name=f"block{block}_dropout")
    x = keras.layers.GlobalMaxPooling2D(name="global_pool")(x)
    logits = layers.classifier(x, num_classes, use_bias=False)
    outputs = keras.layers.Rescaling(LOGIT_SCALE, dtype="float32", name="logit_scale")(logits)
    return layers.model(inputs, outputs, name="fast")
