"""`synthetic_ood`: seeded uint8 noise images whose values follow the documented distributions exactly."""

import numpy as np
import pytest
from scipy import stats

from kerasreg.uncertainty.ood_sets import GAUSSIAN_MEAN, GAUSSIAN_STD, SYNTHETIC_OOD, synthetic_ood

# 768,000 values per set: a mean to within 0.1 (a half-level shift from truncating is 7 standard errors);
# each of the 256 levels holds hundreds.
COUNT, SHAPE = 4000, (8, 8, 3)


def _gaussian_levels():
    """P(value = k), k = 0..255, for a normal(GAUSSIAN_MEAN, GAUSSIAN_STD) rounded and clipped to [0, 255]."""
    edges = stats.norm.cdf((np.arange(-0.5, 256) - GAUSSIAN_MEAN) / GAUSSIAN_STD)
    edges[0], edges[-1] = 0.0, 1.0  # everything below 0.5 is 0, everything from 254.5 up is 255
    return np.diff(edges)


@pytest.mark.parametrize("kind", SYNTHETIC_OOD)
def test_shape_dtype_and_determinism(kind):
    images = synthetic_ood(kind, 5, (6, 7, 3), seed=3)
    assert images.shape == (5, 6, 7, 3) and images.dtype == np.uint8
    np.testing.assert_array_equal(images, synthetic_ood(kind, 5, [6, 7, 3], seed=3))
    assert not np.array_equal(images, synthetic_ood(kind, 5, (6, 7, 3), seed=4))
    assert synthetic_ood(kind, 2, (28, 28)).shape == (2, 28, 28)


@pytest.mark.parametrize("kind", SYNTHETIC_OOD)
def test_values_are_independent_across_images_pixels_and_channels(kind):
    values = synthetic_ood(kind, COUNT, SHAPE, seed=0).astype("float64")
    for a, b in [(values[:-1], values[1:]), (values[..., 0], values[..., 1]), (values[:, 0], values[:, 1])]:
        assert abs(np.corrcoef(a.ravel(), b.ravel())[0, 1]) < 0.02


def test_uniform_covers_every_level_equally():
    values = synthetic_ood("uniform", COUNT, SHAPE, seed=0).ravel()
    assert values.mean() == pytest.approx(127.5, abs=0.3)
    assert values.std() == pytest.approx(np.sqrt((256**2 - 1) / 12), abs=0.2)  # 73.90
    counts = np.bincount(values, minlength=256)
    assert counts.min() > 0
    assert stats.chisquare(counts).pvalue > 1e-3


def test_gaussian_is_a_rounded_normal_clipped_to_the_byte_range():
    assert (GAUSSIAN_MEAN, GAUSSIAN_STD) == (0.5 * 255, 0.25 * 255)  # the [0, 1] scale's 0.5 and 0.25
    values = synthetic_ood("gaussian", COUNT, SHAPE, seed=0).ravel()
    expected = _gaussian_levels()
    levels = np.arange(256)
    mean = (levels * expected).sum()
    std = np.sqrt(((levels - mean) ** 2 * expected).sum())
    # A normal censored at +-2 sd keeps sqrt(1 - 2Q(2) - 4 phi(2) + 8Q(2)) = 0.959 of its sd: 61.2, not 63.75.
    assert mean == pytest.approx(127.5, abs=1e-9) and std == pytest.approx(0.959 * GAUSSIAN_STD, abs=0.1)
    assert values.mean() == pytest.approx(mean, abs=0.3)
    assert values.std() == pytest.approx(std, abs=0.25)
    # The clipped fraction at each bound: P(Z > (254.5 - 127.5) / 63.75) = 2.3 %.
    tail = stats.norm.sf((254.5 - GAUSSIAN_MEAN) / GAUSSIAN_STD)
    assert tail == pytest.approx(0.0232, abs=1e-4)
    assert np.mean(values == 0) == pytest.approx(tail, abs=7e-4)
    assert np.mean(values == 255) == pytest.approx(tail, abs=7e-4)
    # The whole distribution, level by level.
    counts = np.bincount(values, minlength=256)
    assert stats.chisquare(counts, expected * len(values)).pvalue > 1e-3
    # The pre-clipping parameters, from the quartiles (far inside the clipped tails).
    q25, q50, q75 = np.percentile(values, [25, 50, 75])
    assert q50 == pytest.approx(GAUSSIAN_MEAN, abs=1)
    assert (q75 - q25) / (2 * stats.norm.ppf(0.75)) == pytest.approx(GAUSSIAN_STD, rel=0.025)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(kind="blobs"), "Invalid value received for argument `kind`. Expected one of 'uniform', 'gaussian'. "
                             "Received: kind='blobs'"),
        (dict(count=0), "Invalid value received for argument `count`. Expected an integer >= 1. Received: count=0"),
        (dict(count=2.0), "Invalid value received for argument `count`. Expected an integer >= 1. Received: count=2.0"),
        (dict(shape=(32, 0)), "Invalid value received for argument `shape`. Expected a tuple of integers >= 1. "
                              "Received: shape=(32, 0)"),
        (dict(shape=()), "Invalid value received for argument `shape`. Expected a tuple of integers >= 1. "
                         "Received: shape=()"),
        (dict(shape=32), "Invalid value received for argument `shape`. Expected a tuple of integers >= 1. "
                         "Received: shape=32"),
        (dict(seed=-1), "Invalid value received for argument `seed`. Expected None or an integer >= 0. "
                        "Received: seed=-1"),
    ],
)
def test_bad_arguments_name_the_value_and_what_is_allowed(kwargs, message):
    arguments = {"kind": "uniform", "count": 2, "shape": (4, 4, 3), **kwargs}
    with pytest.raises(ValueError) as error:
        synthetic_ood(**arguments)
    assert str(error.value) == message
