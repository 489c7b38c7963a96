"""`estimate_flops`: the multiply-adds per example of a model's convolutions and dense layers."""

import math

import keras


def _inner_layers(layer):
    """``layer`` and the layers it wraps (`MultiSampleDropout.head`, `ConcreteDropout.layer`)."""
    yield layer
    for attribute in ("head", "layer"):
        inner = getattr(layer, attribute, None)
        if isinstance(inner, keras.layers.Layer):
            yield from _inner_layers(inner)


def _positions(layer):
    """Output positions per example: the product of the output's non-batch, non-channel dims."""
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):  # a wrapped layer: never called in the graph
        return 1
    return math.prod(int(d) for d in shape[1:-1])


def estimate_flops(model, input_shape=None):
    """Multiply-adds per example of every `Conv2D` and `Dense` (DropConnect and wrapped ones included).

    A convolution costs ``output positions * kernel size`` multiply-adds
    (``kernel size = kh * kw * in_channels / groups * filters``), a dense
    layer its kernel size per position. Batch norm, activations, pooling
    and dropout masks are not counted (a few percent at most). This is the
    "FLOPs" of He et al. (2016) and most vision papers, where one
    multiply-add counts as one; double it for FLOPs counted separately.

    Args:
        model: A built functional `keras.Model` (channels last).
        input_shape: Optional ``(height, width, channels)``: count for
            inputs of that shape (a copy of ``model`` is built on it). Needed
            for a model that takes any image size (height and width None).

    Returns:
        An int, multiply-adds per example.

    Example:

    >>> import keras
    >>> from kerasreg.architectures import estimate_flops
    >>> inputs = keras.Input((8, 8, 3))
    >>> x = keras.layers.Conv2D(4, 3, padding="same")(inputs)  # 64 * 27 * 4
    >>> outputs = keras.layers.Dense(2)(keras.layers.Flatten()(x))  # 256 * 2
    >>> estimate_flops(keras.Model(inputs, outputs))
    7424
    """
    if input_shape is not None:
        model = keras.models.clone_model(model, input_tensors=keras.Input(tuple(input_shape)))
    elif isinstance(model.input_shape, tuple) and None in model.input_shape[1:]:
        raise ValueError(
            f"Model {model.name!r} takes inputs of any size {model.input_shape[1:]}; pass the `input_shape` to count for."
        )
    total = 0
    for outer in model.layers:
        for layer in _inner_layers(outer):
            kernel = getattr(layer, "kernel", None)
            if kernel is None:
                continue
            if isinstance(layer, keras.layers.Conv2D):
                total += _positions(layer) * math.prod(kernel.shape)
            elif isinstance(layer, keras.layers.Dense):
                total += _positions(layer) * math.prod(kernel.shape)
    return total
