"""`build_resnet`: ResNet v1 for CIFAR (ResNet-20/32/56/...), and its option-A shortcut."""

import math

import keras
from keras import ops

from kerasreg.architectures.regularization import RegularizedLayers
from kerasreg.validation import check_positive_int, invalid_argument

DEFAULT_WIDTH = 16
DEFAULT_DEPTH = 20


@keras.saving.register_keras_serializable(package="kerasreg")
class IdentityShortcut(keras.layers.Layer):
    """He et al.'s "option A" shortcut: identity, subsampled and zero-padded when the shape changes.

    Takes every ``strides``-th row and column (as the strided convolution
    of the branch does) and appends zero channels up to ``filters``. It has
    no weights, so the shortcut adds no parameters.

    Args:
        filters: Integer >= 1, output channels (>= the input's).
        strides: Integer >= 1, spatial subsampling.
        **kwargs: Base layer keyword arguments.

    Example:

    >>> import numpy as np
    >>> from kerasreg.architectures import IdentityShortcut
    >>> y = IdentityShortcut(8, strides=2)(np.ones((1, 4, 4, 3), "float32"))
    >>> tuple(y.shape), float(np.asarray(y)[..., :3].min()), float(np.asarray(y)[..., 3:].max())
    ((1, 2, 2, 8), 1.0, 0.0)

    Reference:
        He, Zhang, Ren & Sun, "Deep Residual Learning for Image
        Recognition", CVPR 2016, section 3.3 and 4.2.
    """

    def __init__(self, filters, strides=1, **kwargs):
        super().__init__(**kwargs)
        self.filters = check_positive_int("filters", filters)
        self.strides = check_positive_int("strides", strides)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def build(self, input_shape):
        if input_shape[-1] > self.filters:
            raise ValueError(
                "Invalid value received for argument `filters`. Expected at least "
                f"the input's {input_shape[-1]} channels. Received: filters={self.filters}"
            )
        self.built = True

    def call(self, inputs):
        step = self.strides
        x = inputs[:, ::step, ::step, :] if step > 1 else inputs
        extra = self.filters - inputs.shape[-1]
        if extra:
            x = ops.pad(x, ((0, 0), (0, 0), (0, 0), (0, extra)))
        return x

    def compute_output_shape(self, input_shape):
        def subsample(size):
            return None if size is None else math.ceil(size / self.strides)

        return (input_shape[0], subsample(input_shape[1]), subsample(input_shape[2]), self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "strides": self.strides}


def resnet_blocks_per_stage(depth):
    """``n`` of a CIFAR ResNet of ``depth = 6n + 2`` layers; ValueError for other depths."""
    if (
        isinstance(depth, bool)
        or not isinstance(depth, int)
        or depth < 8
        or (depth - 2) % 6
    ):
        raise invalid_argument(
            "depth", "an integer 6n + 2 >= 8 for model 'resnet' (20, 32, 44, 56, 110, ...)", depth
        )
    return (depth - 2) // 6


def _basic_block(x, filters, strides, drop_rate, layers, name, activation):
    """conv-BN-act-conv-BN (+ stochastic depth) + option-A shortcut, then the activation (ReLU in the paper)."""
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        shortcut = IdentityShortcut(filters, strides, name=f"{name}_shortcut")(x)
    branch = layers.conv_norm_act(x, filters, strides=strides, activation=activation, name=f"{name}_conv1")
    branch = layers.conv_norm_act(branch, filters, activation=None, name=f"{name}_conv2")
    branch = layers.drop_path(branch, drop_rate, name=f"{name}_drop_path")
    x = keras.layers.Add(name=f"{name}_add")([shortcut, branch])
    return keras.layers.Activation(activation, name=f"{name}_out")(x)


def build_resnet(*, input_shape, num_classes, regularization, width=None, depth=None, seed=None, activation="relu"):
    """ResNet v1 for CIFAR-10 (He et al. 2016, section 4.2): ResNet-20, -32, -56, ...

    A 3x3 convolution with ``width`` filters (16 in the paper), then three
    stages of ``n = (depth - 2) / 6`` basic blocks with ``width``,
    ``2 * width`` and ``4 * width`` filters (the first block of stages 2 and
    3 has stride 2), global average pooling and the classifier `Dense`
    (logits). A basic block is conv-BN-ReLU-conv-BN plus the shortcut, then
    ReLU. Shortcuts are the paper's CIFAR choice, **option A**
    (`IdentityShortcut`: identity, subsampled and zero-padded when the shape
    changes; no parameters), so the parameter counts are the paper's:
    0.27M, 0.46M and 0.85M for depths 20, 32 and 56.

    Regularization: ``bn_position`` applies to the stem and the first conv
    of each branch (the last conv of a branch is always conv-BN, as no
    activation precedes the addition); stochastic depth puts
    `StochasticDepth` on each residual branch with the linear ramp
    `drop_path_rates(stochastic_depth, 3n)` over all blocks; the ``blocks``
    dropout placement puts the dropout after each stage; ``dropconnect`` in
    the blocks makes the branch convolutions `DropConnectConv2D` (not the
    stem).

    Parameters at 32x32x3, 10 classes, width 16 (trainable / all):
    ResNet-20 269,722 / 271,098, ResNet-32 464,154 / 466,426, ResNet-56
    853,018 / 857,082; multiply-adds per image (`estimate_flops`) 40.6M,
    68.9M, 125.5M (He et al. count 41M for ResNet-20).

    Call it through `kerasreg.architectures.build_model`, which validates
    the arguments.

    Args:
        input_shape: ``(height, width, channels)``, channels last.
        num_classes: Integer >= 1, the number of logits.
        regularization: A `Regularization`.
        width: Filters of the first stage (default 16).
        depth: ``6n + 2`` layers (default 20): 20, 32, 44, 56, 110, ...
        seed: None or an integer >= 0 (see `RegularizedLayers`).

    Returns:
        A `keras.Model` named ``"resnet-{depth}"`` (a `MultiSampleModel`
        with the ``multisample`` head).

    Example:

    >>> from kerasreg.architectures import Regularization, build_model
    >>> model = build_model("resnet", input_shape=(32, 32, 3), num_classes=10,
    ...                     regularization=Regularization(stochastic_depth=0.1), depth=20)
    >>> model.name, model.output_shape, round(model.count_params() / 1e6, 2)
    ('resnet-20', (None, 10), 0.27)

    Reference:
        He, Zhang, Ren & Sun, "Deep Residual Learning for Image
        Recognition", CVPR 2016. Stochastic depth: Huang, Sun, Liu, Sedra &
        Weinberger, "Deep Networks with Stochastic Depth", ECCV 2016.
    """
    width = DEFAULT_WIDTH if width is None else check_positive_int("width", width)
    depth = DEFAULT_DEPTH if depth is None else depth
    blocks = resnet_blocks_per_stage(depth)
    layers = RegularizedLayers(regularization, seed)
    rates = layers.drop_path_rates(3 * blocks)

    inputs = keras.Input(input_shape)
    x = layers.conv_norm_act(inputs, width, activation=activation, in_block=False, name="stem")
    index = 0
    for stage in range(1, 4):
        filters = width * 2 ** (stage - 1)
        for block in range(1, blocks + 1):
            strides = 2 if stage > 1 and block == 1 else 1
            x = _basic_block(x, filters, strides, rates[index], layers, f"stage{stage}_block{block}", activation)
            index += 1
        x = layers.block_dropout(x, name=f"stage{stage}_dropout")
    x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    outputs = layers.classifier(x, num_classes)
    return layers.model(inputs, outputs, name=f"resnet-{depth}")
