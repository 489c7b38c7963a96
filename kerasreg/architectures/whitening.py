"""Patch whitening: a frozen first convolution that decorrelates image patches (airbench)."""

import keras
import numpy as np

from kerasreg.validation import check_positive_int, invalid_argument

# Images per chunk when accumulating patch moments: bounds memory to a few MB.
_CHUNK = 256


def patch_whitening(images, kernel_size=2, epsilon=5e-4):
    """Kernel and bias of a convolution that whitens ``kernel_size`` patches.

    Every ``kernel_size x kernel_size x channels`` patch of ``images``
    (stride 1, no padding) is a vector of ``d = kernel_size**2 * channels``
    values with mean ``mu`` and covariance ``C = V diag(lambda) V^T``. Filter
    ``i`` (``i < d``, largest eigenvalue first) projects the centred patch
    on eigenvector ``v_i`` and divides by ``sqrt(lambda_i + epsilon * mean(lambda))``,
    so the ``d`` outputs are uncorrelated with (nearly) unit variance; filters
    ``d .. 2d - 1`` are their negatives, so a following ReLU/GELU keeps both
    signs (airbench's layout). ``epsilon`` is relative to the mean
    eigenvalue, so it does not depend on how the pixels are scaled; it
    keeps the noisiest directions from being amplified without bound.

    Args:
        images: Array ``(n, height, width, channels)``, as the model sees them.
        kernel_size: Integer >= 1, the patch side.
        epsilon: Float > 0, the regularizer of the eigenvalues (relative).

    Returns:
        ``(kernel, bias)``: float32 arrays of shapes
        ``(kernel_size, kernel_size, channels, 2 * d)`` and ``(2 * d,)``,
        the weights of a `keras.layers.Conv2D` with ``padding="valid"``.

    Example:

    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((64, 8, 8, 3))
    >>> kernel, bias = patch_whitening(images, kernel_size=2)
    >>> kernel.shape, bias.shape
    ((2, 2, 3, 24), (24,))

    Reference:
        Jordan, "94% on CIFAR-10 in 3.29 Seconds on a Single GPU",
        arXiv:2404.00498, 2024 (section 3.2, after Page's "How to train
        your ResNet", 2018).
    """
    kernel_size = check_positive_int("kernel_size", kernel_size)
    if not np.isfinite(epsilon) or epsilon <= 0:
        raise invalid_argument("epsilon", "a float > 0", epsilon)
    images = np.asarray(images)
    if images.ndim != 4 or min(images.shape[1:3]) < kernel_size:
        raise invalid_argument(
            "images", f"an array (n, height, width, channels) with height and width >= {kernel_size}", images.shape
        )
    channels = images.shape[-1]
    d = kernel_size * kernel_size * channels
    # Uncentred moments accumulated in float64, chunk by chunk.
    total, outer, count = np.zeros(d), np.zeros((d, d)), 0
    for start in range(0, len(images), _CHUNK):
        chunk = images[start : start + _CHUNK].astype(np.float64)
        windows = np.lib.stride_tricks.sliding_window_view(chunk, (kernel_size, kernel_size), axis=(1, 2))
        # (n, h', w', c, kh, kw) -> rows in the (kh, kw, c) order of a Keras kernel.
        patches = windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, d)
        total += patches.sum(axis=0)
        outer += patches.T @ patches
        count += len(patches)
    mean = total / count
    covariance = outer / count - np.outer(mean, mean)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]  # largest first
    scale = 1.0 / np.sqrt(np.maximum(eigenvalues, 0.0) + epsilon * eigenvalues.mean())
    filters = eigenvectors * scale  # column i = v_i / sqrt(lambda_i + eps)
    filters = np.concatenate([filters, -filters], axis=1)
    bias = -(mean @ filters)
    kernel = filters.reshape(kernel_size, kernel_size, channels, 2 * d)
    return kernel.astype(np.float32), bias.astype(np.float32)


def whiten_stem(model, images, *, layer_name="stem", epsilon=5e-4):
    """Sets ``model``'s stem convolution to `patch_whitening` of ``images`` and freezes it.

    The stem must be a square-kernel `keras.layers.Conv2D` with
    ``padding="valid"``, stride 1, a bias and ``2 * kernel_size**2 *
    channels`` filters (``"airbench"``'s stem at its default width).
    Call it before ``compile``; the layer is then not trainable, so its
    weights (and any kernel regularizer) stay out of training.

    Args:
        model: A built `keras.Model` with a layer ``layer_name``.
        images: Training images ``(n, height, width, channels)`` scaled as
            the model sees them (a few thousand are plenty).
        layer_name: Name of the stem layer.
        epsilon: See `patch_whitening`.

    Returns:
        The stem layer.

    Example:

    >>> import numpy as np
    >>> from kerasreg.architectures import Regularization, build_model
    >>> model = build_model("airbench", input_shape=(32, 32, 3), num_classes=10,
    ...                     regularization=Regularization(), width=64)
    >>> stem = whiten_stem(model, np.random.default_rng(0).random((32, 32, 32, 3)))
    >>> stem.trainable
    False
    """
    try:
        stem = model.get_layer(layer_name)
    except ValueError:
        raise invalid_argument("model", f"a model with a layer named {layer_name!r}", model.name) from None
    size = stem.kernel_size[0] if isinstance(stem, keras.layers.Conv2D) else None
    channels = int(model.input_shape[-1])
    if (
        size is None
        or stem.kernel_size != (size, size)
        or stem.strides != (1, 1)
        or stem.padding != "valid"
        or not stem.use_bias
        or stem.filters != 2 * size * size * channels
    ):
        raise invalid_argument(
            layer_name,
            "a square stride-1 'valid' Conv2D with a bias and 2 * kernel_size**2 * channels filters",
            getattr(stem, "name", stem),
        )
    kernel, bias = patch_whitening(images, kernel_size=size, epsilon=epsilon)
    stem.set_weights([kernel, bias])
    stem.trainable = False
    return stem
