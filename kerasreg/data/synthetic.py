"""A synthetic image-classification set for smoke runs and tests."""

import numbers

import numpy as np

from kerasreg.validation import check_positive_int, check_seed, invalid_argument

# Spread of the class colours around mid-grey, of a class's pattern around
# its colour, and of the per-pixel noise (uint8 units).
_COLOUR_AMPLITUDE = 64.0
_PATTERN_AMPLITUDE = 40.0
_NOISE_STDDEV = 40.0


def make_synthetic(num_examples, shape=(32, 32, 3), num_classes=10, seed=0):
    """Random images whose class can be learned; the same ``seed`` gives the same arrays.

    Each class has a prototype: a random colour plus a coarse random
    pattern (a 4x4 grid of colour offsets, upsampled to the image size).
    An image is its class prototype plus strong independent pixel noise,
    clipped to uint8. The class shows in the mean colour of an image and
    in its layout, so it is learnable: a tiny CNN (one 3x3 convolution, a
    pooling, a dense layer) reaches well above chance within 16 steps,
    though single pixels are too noisy to give the class away.
    Labels are balanced and shuffled.

    Args:
        num_examples: Integer >= 1, number of train images; the test split
            has a quarter as many (at least one).
        shape: ``(height, width, channels)`` of the images.
        num_classes: Integer >= 2.
        seed: Integer >= 0.

    Returns:
        A dict with ``x_train``, ``y_train``, ``x_test``, ``y_test`` and
        ``class_names`` (``"class_0"``, ...).
    """
    num_examples = check_positive_int("synthetic_examples", num_examples)
    num_classes = check_positive_int("synthetic_classes", num_classes)
    if num_classes < 2:
        raise invalid_argument("synthetic_classes", "an integer >= 2", num_classes)
    seed = check_seed(seed) or 0
    if not (
        isinstance(shape, (tuple, list))
        and len(shape) == 3
        and all(isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 1 for d in shape)
    ):
        raise invalid_argument("synthetic_shape", "a tuple (height, width, channels) of integers >= 1", shape)
    height, width, channels = (int(d) for d in shape)

    rng = np.random.default_rng(seed)
    colours = rng.uniform(-1.0, 1.0, size=(num_classes, 1, 1, channels))
    grid = rng.uniform(-1.0, 1.0, size=(num_classes, 4, 4, channels))
    rows = np.minimum(np.arange(height) * 4 // height, 3)
    cols = np.minimum(np.arange(width) * 4 // width, 3)
    prototypes = 128.0 + _COLOUR_AMPLITUDE * colours + _PATTERN_AMPLITUDE * grid[:, rows][:, :, cols]

    def split(count):
        labels = rng.permutation(np.arange(count) % num_classes).astype(np.int64)
        noise = rng.normal(0.0, _NOISE_STDDEV, size=(count, height, width, channels))
        images = np.clip(np.rint(prototypes[labels] + noise), 0, 255).astype(np.uint8)
        return images, labels

    x_train, y_train = split(num_examples)
    x_test, y_test = split(max(1, num_examples // 4))
    return {
        "x_train": x_train,
        "y_train": y_train,
        "x_test": x_test,
        "y_test": y_test,
        "class_names": tuple(f"class_{i}" for i in range(num_classes)),
    }
