"""Partial identity initialization of convolutions (airbench94's "dirac" init)."""

import keras
import numpy as np

from kerasreg import internals


def partial_identity_kernel(kernel):
    """``kernel`` with its first ``min(in, out)`` filters set to the identity.

    Filter ``i < min(in_channels, out_channels)`` of a ``(kh, kw, in, out)``
    kernel with odd ``kh`` and ``kw`` becomes the one that passes input
    channel ``i`` through unchanged (1 at the centre tap of channel ``i``, 0
    elsewhere); the other filters keep their values. A block initialized so
    starts close to an identity map, an implicit residual connection in a
    network without shortcuts, which trains faster.

    Args:
        kernel: Array ``(kh, kw, in_channels, out_channels)``, ``kh`` and ``kw`` odd.

    Returns:
        A new float array of the same shape and dtype.

    Example:

    >>> import numpy as np
    >>> kernel = partial_identity_kernel(np.ones((3, 3, 2, 4), "float32"))
    >>> [float(v) for v in (kernel[:, :, :, 0].sum(), kernel[1, 1, 0, 0], kernel[1, 1, 1, 0], kernel[:, :, :, 3].sum())]
    [1.0, 1.0, 0.0, 18.0]

    Reference:
        Jordan, "94% on CIFAR-10 in 3.29 Seconds on a Single GPU",
        arXiv:2404.00498, 2024 (section 3.3).
    """
    kernel = np.array(kernel, copy=True)
    height, width, channels_in, channels_out = kernel.shape
    if height % 2 == 0 or width % 2 == 0:
        raise ValueError(f"Invalid value received for argument `kernel`. Expected odd spatial sizes. Received: kernel.shape={kernel.shape}")
    count = min(channels_in, channels_out)
    kernel[:, :, :, :count] = 0
    kernel[height // 2, width // 2, np.arange(count), np.arange(count)] = 1
    return kernel


def identity_initialize(model):
    """Applies `partial_identity_kernel` to every trainable odd-kernel `Conv2D` of ``model``.

    Call it on a freshly built model, before training. Convolutions with an
    even kernel (``"airbench"``'s 2x2 stem) and frozen ones are left as they
    are; nested models are searched too. This is the config's
    ``model.identity_init``.

    Args:
        model: A built `keras.Model`.

    Returns:
        The names of the convolutions changed.

    Example:

    >>> from kerasreg.architectures import Regularization, build_model
    >>> model = build_model("airbench", input_shape=(32, 32, 3), num_classes=10,
    ...                     regularization=Regularization(), seed=0)
    >>> identity_initialize(model)[:2]
    ['block1_conv1', 'block1_conv2']
    """
    changed = []
    for layer in internals.flatten_layers(model):
        if not isinstance(layer, keras.layers.Conv2D) or not layer.trainable:
            continue
        height, width = layer.kernel_size
        if height % 2 == 0 or width % 2 == 0 or layer.groups != 1:
            continue
        layer.kernel.assign(partial_identity_kernel(keras.ops.convert_to_numpy(layer.kernel)))
        changed.append(layer.name)
    return changed
