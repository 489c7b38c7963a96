"""Synthetic out-of-distribution images: uniform and Gaussian noise, as the OOD benchmarks draw them.

Noise images are the far end of out-of-distribution inputs: no object, no
natural image statistics. A classifier should be unsure of them, and many
are not (Hendrycks & Gimpel 2017, "A Baseline for Detecting Misclassified
and Out-of-Distribution Examples in Neural Networks"; Hein et al. 2019).
The images are ``uint8``, like the data sets of `kerasreg.data`, so they
go through the same scaling as the test images they are compared with.

- ``"uniform"``: every value i.i.d. uniform on the integers 0..255
  (uniform noise on [0, 1] at 8 bits).
- ``"gaussian"``: every value i.i.d. normal with mean 127.5 and standard
  deviation 63.75, rounded to the nearest integer and clipped to [0, 255]:
  on the [0, 1] scale, mean 0.5 and standard deviation 0.25 clipped to
  [0, 1]. This is the "Gaussian noise (sigma = 0.5)" set of Hendrycks,
  Mazeika & Dietterich 2019 ("Deep Anomaly Detection with Outlier
  Exposure"), drawn there on the [-1, 1] scale and clipped to it. About
  2.3 % of the values land on each bound (beyond 2 standard deviations).
"""

import numpy as np

from kerasreg.validation import check_choice, check_positive_int, check_seed, invalid_argument

SYNTHETIC_OOD = ("uniform", "gaussian")
# The Gaussian set on the 0..255 scale: mean 0.5 and standard deviation 0.25 of the [0, 1] range.
GAUSSIAN_MEAN = 127.5
GAUSSIAN_STD = 63.75


def _check_shape(shape):
    try:
        dims = tuple(shape)
    except TypeError:
        raise invalid_argument("shape", "a tuple of integers >= 1", shape) from None
    if not dims or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1 for d in dims):
        raise invalid_argument("shape", "a tuple of integers >= 1", shape)
    return tuple(int(d) for d in dims)


def synthetic_ood(kind, count, shape, seed=0):
    """``count`` noise images of shape ``shape``, ``uint8``, drawn as ``kind`` says (see the module docstring).

    Args:
        kind: One of `SYNTHETIC_OOD`: ``"uniform"`` or ``"gaussian"``.
        count: Number of images, an integer >= 1.
        shape: Shape of one image, e.g. ``(32, 32, 3)``: the ``input_shape``
            of the data set the noise is compared with.
        seed: Integer >= 0: the same seed gives the same images. None draws
            fresh ones.

    Returns:
        A ``uint8`` array of shape ``(count, *shape)``.

    Example:

    >>> from kerasreg.uncertainty.ood_sets import synthetic_ood
    >>> images = synthetic_ood("gaussian", 4, (32, 32, 3), seed=1)
    >>> images.shape, images.dtype.name, bool((images == synthetic_ood("gaussian", 4, (32, 32, 3), seed=1)).all())
    ((4, 32, 32, 3), 'uint8', True)
    """
    check_choice("kind", kind, SYNTHETIC_OOD)
    size = (check_positive_int("count", count), *_check_shape(shape))
    rng = np.random.default_rng(check_seed(seed))
    if kind == "uniform":
        return rng.integers(0, 256, size=size, dtype=np.uint8)
    values = rng.normal(GAUSSIAN_MEAN, GAUSSIAN_STD, size=size)
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)
