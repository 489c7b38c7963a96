"""`build_cnn`: a VGG-style convolutional network."""

import keras

from kerasreg.architectures.regularization import RegularizedLayers
from kerasreg.validation import check_positive_int

DEFAULT_WIDTH = 32
DEFAULT_DEPTH = 3


def build_cnn(*, input_shape, num_classes, regularization, width=None, depth=None, seed=None, activation="relu"):
    """A VGG-style CNN: stages of two 3x3 convolutions and a 2x2 max-pool.

    Stage ``s`` (0-based) has ``width * 2**s`` filters; each of its two 3x3
    convolutions is followed by batch norm and ReLU in the configured order
    (`RegularizedLayers.conv_norm_act`), then a 2x2 max-pool (``same``
    padding, so odd sizes such as 28 -> 14 -> 7 -> 4 work). The head is
    global average pooling and the classifier `Dense`, giving logits. The
    ``blocks`` dropout placement puts the dropout after each stage's pool;
    ``dropconnect`` in the blocks makes every convolution a
    `DropConnectConv2D`. Stochastic depth is refused (no residual blocks).

    At 32x32x3 with the defaults (width 32, depth 3, 10 classes): 289,642
    parameters (288,746 trainable), 38.6M multiply-adds per image
    (`estimate_flops`; 29.1M at 28x28x1).

    Call it through `kerasreg.architectures.build_model`, which validates
    the arguments.

    Args:
        input_shape: ``(height, width, channels)``, channels last.
        num_classes: Integer >= 1, the number of logits.
        regularization: A `Regularization`.
        width: Filters of the first stage (default 32), doubling each stage.
        depth: Number of stages (default 3).
        seed: None or an integer >= 0 (see `RegularizedLayers`).

    Returns:
        A `keras.Model` named ``"cnn-{depth}"`` (a `MultiSampleModel` with
        the ``multisample`` head).

    Example:

    >>> from kerasreg.architectures import Regularization, build_model
    >>> model = build_model("cnn", input_shape=(28, 28, 1), num_classes=10,
    ...                     regularization=Regularization(), width=8, depth=2)
    >>> model.name, model.output_shape
    ('cnn-2', (None, 10))

    Reference:
        Simonyan & Zisserman, "Very Deep Convolutional Networks for
        Large-Scale Image Recognition", ICLR 2015.
    """
    width = DEFAULT_WIDTH if width is None else check_positive_int("width", width)
    depth = DEFAULT_DEPTH if depth is None else check_positive_int("depth", depth)
    layers = RegularizedLayers(regularization, seed)
    layers.reject_stochastic_depth("cnn")

    inputs = keras.Input(input_shape)
    x = inputs
    for stage in range(1, depth + 1):
        filters = width * 2 ** (stage - 1)
        for conv in (1, 2):
            x = layers.conv_norm_act(x, filters, activation=activation, name=f"stage{stage}_conv{conv}")
        x = keras.layers.MaxPooling2D(2, padding="same", name=f"stage{stage}_pool")(x)
        x = layers.block_dropout(x, name=f"stage{stage}_dropout")
    x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    outputs = layers.classifier(x, num_classes)
    return layers.model(inputs, outputs, name=f"cnn-{depth}")
