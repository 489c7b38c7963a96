"""CIFAR-10-C corruptions: noise statistics, closed forms of the colour maps, blur kernels and
Pillow's own JPEG and box resampling as references, determinism and argument errors."""

import io
import re

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from kerasreg.uncertainty.corruptions import (
    CORRUPTIONS,
    PARAMETERS,
    SEVERITIES,
    corrupt,
    corruption_parameters,
)

RANDOM = ("gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise", "elastic_transform")
DETERMINISTIC = tuple(name for name in CORRUPTIONS if name not in RANDOM)
# The CIFAR parameters do not order these two by the size of the change (see
# test_saturate_and_elastic_transform_are_not_ordered_by_severity).
UNORDERED = ("saturate", "elastic_transform")


def smooth_images(n, seed=0):
    """Blurred uniform noise stretched to [25, 225]: smooth, coloured, away from the clipping bounds."""
    noise = np.random.default_rng(seed).uniform(0, 255, (n, 32, 32, 3))
    blurred = ndimage.gaussian_filter(noise, (0, 1.5, 1.5, 0))
    low = blurred.min(axis=(1, 2, 3), keepdims=True)
    return ((blurred - low) / np.ptp(blurred, axis=(1, 2, 3), keepdims=True) * 200 + 25).astype(np.uint8)


def gray(value, n=100):
    return np.full((n, 32, 32, 3), value, dtype=np.uint8)


def assert_truncates(ours, reference, tolerance=1e-6):
    """``ours`` is ``reference`` (floats in 0..255 units) clipped and truncated, up to float round-off."""
    reference = np.clip(reference, 0, 255)
    assert ours.dtype == np.uint8 and ours.shape == reference.shape
    low, high = np.floor(reference - tolerance), np.floor(reference + tolerance)
    bad = (ours < low) | (ours > high)
    assert not bad.any(), f"{bad.sum()} values off, e.g. {ours[bad][:5]} for {reference[bad][:5]}"


def mean_change(corruption, severity, images):
    return np.abs(corrupt(images, corruption, severity).astype(float) - images).mean()


def test_every_corruption_at_every_severity_keeps_shape_and_dtype_and_changes_the_image():
    images = smooth_images(4)
    before = images.copy()
    for corruption in CORRUPTIONS:
        for severity in SEVERITIES:
            out = corrupt(images, corruption, severity)
            assert out.shape == images.shape and out.dtype == np.uint8, (corruption, severity)
            assert (out != images).mean() > 0.005, (corruption, severity)
            # One image (H, W, 3) is the batch of one.
            np.testing.assert_array_equal(corrupt(images[0], corruption, severity), out[0])
    np.testing.assert_array_equal(images, before)  # the input is never written to
    assert corrupt(images[:0], "gaussian_noise", 1).shape == (0, 32, 32, 3)


@pytest.mark.parametrize("corruption", [name for name in CORRUPTIONS if name not in UNORDERED])
def test_mean_change_grows_with_severity(corruption):
    images = smooth_images(20)
    changes = [mean_change(corruption, severity, images) for severity in SEVERITIES]
    assert np.all(np.diff(changes) > 0), changes


def test_saturate_and_elastic_transform_are_not_ordered_by_severity():
    images = smooth_images(20)
    saturate = [mean_change("saturate", severity, images) for severity in SEVERITIES]
    # Saturation x0.1 (severity 2) changes more than x1.5 (severity 3).
    assert saturate[2] < saturate[1] < saturate[3] < saturate[4]
    # The affine jitter, 2.56 px at severity 1 down to 0.96 px at 5, outweighs the elastic part.
    elastic = [mean_change("elastic_transform", severity, images) for severity in SEVERITIES]
    assert np.all(np.diff(elastic) < 0), elastic


def test_the_seed_decides_the_noise_and_nothing_else():
    images = smooth_images(3)
    for corruption in RANDOM:
        first = corrupt(images, corruption, 3, seed=5)
        np.testing.assert_array_equal(first, corrupt(images, corruption, 3, seed=5))
        assert (first != corrupt(images, corruption, 3, seed=6)).any(), corruption
        # The first images do not depend on the ones after them.
        np.testing.assert_array_equal(corrupt(images[:2], corruption, 3, seed=5), first[:2])
    for corruption in DETERMINISTIC:
        np.testing.assert_array_equal(corrupt(images, corruption, 3, seed=0), corrupt(images, corruption, 3, seed=9))


@pytest.mark.parametrize("severity", SEVERITIES)
def test_gaussian_noise_has_the_severitys_stddev_and_truncates(severity):
    c = PARAMETERS["gaussian_noise"][severity - 1]
    residual = corrupt(gray(128), "gaussian_noise", severity).astype(float) - 128  # 307,200 values
    assert residual.std() / 255 == pytest.approx(c, rel=0.01)
    # Truncation, not rounding, takes half a level off on average (standard error <= 0.05).
    assert residual.mean() == pytest.approx(-0.5, abs=0.2)


def test_noise_of_other_severities_and_corruptions_is_independent():
    images = gray(128, n=20)
    a = corrupt(images, "gaussian_noise", 2).astype(float).ravel()
    b = corrupt(images, "gaussian_noise", 3).astype(float).ravel()
    c = corrupt(images, "speckle_noise", 2).astype(float).ravel()
    # 61,440 values: the correlation of independent noise is within ~0.004 of 0.
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.02 and abs(np.corrcoef(a, c)[0, 1]) < 0.02


@pytest.mark.parametrize("severity", SEVERITIES)
def test_shot_noise_is_poisson_counts_of_c_photons(severity):
    c = PARAMETERS["shot_noise"][severity - 1]
    out = corrupt(gray(128), "shot_noise", severity)
    # Output levels floor(min(k, c) / c * 255) of counts k ~ Poisson(128 / 255 * c): the exact
    # mean and variance of that distribution (the truncation to levels makes the variance
    # differ from (128 / 255) / c by up to 4%).
    from scipy.stats import poisson

    counts = np.arange(3 * c + 1)
    probability = poisson.pmf(counts, 128 / 255 * c)
    levels = np.floor(np.minimum(counts, c) / c * 255)
    mean = probability @ levels
    assert out.mean() == pytest.approx(mean, abs=0.1)
    assert out.var() == pytest.approx(probability @ (levels - mean) ** 2, rel=0.02)
    assert set(np.unique(out)) <= set(levels.astype(int))


@pytest.mark.parametrize("severity", SEVERITIES)
def test_impulse_noise_sets_a_fraction_amount_of_values_to_0_or_255(severity):
    amount = PARAMETERS["impulse_noise"][severity - 1]
    out = corrupt(gray(128), "impulse_noise", severity)
    changed = out != 128
    # 307,200 values: the standard error of the fraction is <= 4.6e-4.
    assert changed.mean() == pytest.approx(amount, abs=0.002)
    assert set(np.unique(out[changed])) == {0, 255}
    assert np.mean(out[changed] == 255) == pytest.approx(0.5, abs=0.05)
    # Each channel on its own, as scikit-image's random_noise: all three hit about amount**3 of the time.
    assert changed.all(axis=-1).mean() < 2 * amount**2


@pytest.mark.parametrize("severity", SEVERITIES)
def test_speckle_noise_scales_with_the_pixel_value(severity):
    c = PARAMETERS["speckle_noise"][severity - 1]
    images = gray(60)
    images[:, :, 16:] = 120
    residual = corrupt(images, "speckle_noise", severity).astype(float) - images
    for level in (60, 120):
        assert residual[images == level].std() == pytest.approx(c * level, rel=0.02), level


def test_contrast_scales_each_channel_around_its_own_mean():
    images = smooth_images(6)
    images[:3, ..., 0] //= 4  # channels with very different means
    for severity in SEVERITIES:
        c = PARAMETERS["contrast"][severity - 1]
        means = images.mean(axis=(1, 2), keepdims=True)
        assert_truncates(corrupt(images, "contrast", severity), (images - means) * c + means)


def test_brightness_scales_each_pixel_to_its_raised_hsv_value():
    images = smooth_images(4)
    images[0, :8] = 0  # black: hue and saturation 0, becomes gray c
    images[1, :8] = 77  # gray
    images[2, :8] = [250, 10, 240]  # bright: the value clips at 1
    value = images.max(axis=-1, keepdims=True).astype(float)
    for severity in SEVERITIES:
        c = PARAMETERS["brightness"][severity - 1] * 255
        raised = np.minimum(value + c, 255)
        reference = np.where(value > 0, images * raised / np.maximum(value, 1), c)
        assert_truncates(corrupt(images, "brightness", severity), reference)


def test_saturate_scales_chroma_and_tints_gray_pixels_red():
    images = smooth_images(4)
    images[0, :8] = 100  # gray: saturation 0, hue 0 (red)
    images[1, :8] = [200, 20, 20]
    x = images.astype(float)
    value, low = x.max(axis=-1, keepdims=True), x.min(axis=-1, keepdims=True)
    saturation = np.where(value > 0, (value - low) / np.maximum(value, 1), 0)
    for severity in SEVERITIES:
        scale, shift = PARAMETERS["saturate"][severity - 1]
        target = np.clip(saturation * scale + shift, 0, 1)
        # Hue and value fixed: each channel's distance below the max scales with the saturation.
        chroma = value - target / np.maximum(saturation, 1e-12) * (value - x)
        # Hue 0 is red: (v, v (1 - s), v (1 - s)).
        gray_pixels = np.concatenate([value, value * (1 - target), value * (1 - target)], axis=-1)
        out = corrupt(images, "saturate", severity)
        assert_truncates(out, np.where(saturation > 0, chroma, gray_pixels))
    assert out[0, 0, 0].tolist() == [100, 80, 80]  # severity 5: gray gets saturation 0.2 at hue 0


def test_gaussian_blur_equals_a_direct_convolution_with_replicated_edges():
    images = smooth_images(3)
    for severity in SEVERITIES:
        sigma = PARAMETERS["gaussian_blur"][severity - 1]
        radius = int(4 * sigma + 0.5)
        offsets = np.arange(-radius, radius + 1)
        weights = np.exp(-0.5 * (offsets / sigma) ** 2)
        weights /= weights.sum()
        padded = np.pad(images.astype(float), ((0, 0), (radius, radius), (radius, radius), (0, 0)), mode="edge")
        rows = sum(w * padded[:, radius + o: radius + o + 32] for o, w in zip(offsets, weights))
        both = sum(w * rows[:, :, radius + o: radius + o + 32] for o, w in zip(offsets, weights))
        assert_truncates(corrupt(images, "gaussian_blur", severity), both)


@pytest.mark.parametrize("corruption", ["gaussian_blur", "defocus_blur", "zoom_blur", "elastic_transform"])
def test_blurs_keep_a_constant_image_up_to_float_round_off(corruption):
    images = np.arange(0, 256, 5, dtype=np.uint8)[:, None, None, None] * np.ones((1, 32, 32, 3), np.uint8)
    for severity in SEVERITIES:
        difference = corrupt(images, corruption, severity).astype(int) - images
        # Truncating sums of weights that add up to 1 can lose one level, as in the original.
        assert set(np.unique(difference)) <= {-1, 0}, (corruption, severity)


def test_blurs_take_away_high_frequencies_as_severity_grows():
    images = smooth_images(10)

    def high_frequency_power(x):
        spectrum = np.abs(np.fft.fft2(x - x.mean(axis=(1, 2), keepdims=True), axes=(1, 2))) ** 2
        frequency = np.abs(np.fft.fftfreq(32))
        high = (frequency[:, None] > 0.25) | (frequency[None, :] > 0.25)
        return spectrum[:, high].mean()

    for corruption in ("gaussian_blur", "defocus_blur", "zoom_blur"):
        power = [high_frequency_power(images.astype(float))]
        power += [high_frequency_power(corrupt(images, corruption, s).astype(float)) for s in SEVERITIES]
        assert np.all(np.diff(power) < 0), (corruption, power)


def test_defocus_blur_impulse_response_and_mirrored_border():
    impulse = np.zeros((1, 32, 32, 3), np.uint8)
    impulse[0, 10, 20] = 255
    # Severity 1: a disk of radius 0.3 (its centre only) blurred by a 3-tap Gaussian of sigma 0.4.
    taps = np.exp(-np.array([1.0, 0.0, 1.0]) / (2 * 0.4**2))
    taps /= taps.sum()
    expected = np.zeros((32, 32))
    expected[9:12, 19:22] = np.floor(255 * np.outer(taps, taps))
    out = corrupt(impulse, "defocus_blur", 1)
    np.testing.assert_array_equal(out[0, ..., 1], expected)
    # Severity 5: radius 1.5 is a 3x3 box (sigma 0.1 blurs it by ~1e-22), 255 / 9 = 28.3 each.
    corner = np.zeros((1, 32, 32, 3), np.uint8)
    corner[0, 0, 0] = 255
    expected = np.zeros((32, 32))
    # Mirrored without repeating the edge (OpenCV's BORDER_REFLECT_101): the corner
    # pixel is counted once, not 4 times as with repeated edges.
    expected[:2, :2] = 28
    np.testing.assert_array_equal(corrupt(corner, "defocus_blur", 5)[0, ..., 0], expected)


def test_zoom_blur_averages_scipy_zooms_of_the_centre_crop():
    images = smooth_images(3)
    x = images / 255.0

    def clipped_zoom(image, zoom):
        crop = int(np.ceil(32 / zoom))
        top = (32 - crop) // 2
        zoomed = ndimage.zoom(image[top: top + crop, top: top + crop], (zoom, zoom, 1), order=1)
        trim = (zoomed.shape[0] - 32) // 2
        return zoomed[trim: trim + 32, trim: trim + 32]

    for severity in (1, 5):
        zooms = PARAMETERS["zoom_blur"][severity - 1]
        reference = np.stack([(image + sum(clipped_zoom(image, z) for z in zooms)) / (len(zooms) + 1) for image in x])
        # Summed in float32, as the original: a few 1e-5 levels of round-off.
        assert_truncates(corrupt(images, "zoom_blur", severity), reference * 255, tolerance=1e-3)


def test_elastic_transform_is_affine_at_severity_1_and_elastic_at_5():
    # A horizontal ramp, 7 levels a column: an affine warp of it is a plane again.
    ramp = np.broadcast_to((7 * np.arange(32) + 20)[None, None, :, None], (50, 32, 32, 3)).astype(np.uint8)
    rows, cols = np.meshgrid(np.arange(8, 24), np.arange(8, 24), indexing="ij")  # away from the reflected borders
    design = np.stack([np.ones(rows.size), rows.ravel(), cols.ravel()], axis=1)

    def residual_rms(severity):
        out = corrupt(ramp, "elastic_transform", severity)[:, 8:24, 8:24, 0].reshape(50, -1).astype(float)
        coefficients = np.linalg.lstsq(design, out.T, rcond=None)[0]
        return np.sqrt(np.mean((out - (design @ coefficients).T) ** 2))

    # Severity 1 has alpha 0: only the affine jitter, off a plane by truncation and 1/32-pixel steps.
    assert residual_rms(1) < 0.5
    # Severity 5's displacement field (alpha 3.2, sigma 0.96) moves pixels by ~0.5 px, ~3.5 levels here.
    assert residual_rms(5) > 2.0


@pytest.mark.parametrize("mode", ["mirror", "reflect"])
def test_elastic_interpolation_matches_scipy_map_coordinates(mode):
    from kerasreg.uncertainty.corruptions import _bilinear

    rng = np.random.default_rng(0)
    x = rng.uniform(size=(2, 9, 7, 3))
    rows = rng.uniform(-4, 12, size=(2, 9, 7))
    cols = rng.uniform(-4, 10, size=(2, 9, 7))
    ours = _bilinear(x, rows, cols, mode)
    for i in range(2):
        for channel in range(3):
            reference = ndimage.map_coordinates(x[i, ..., channel], [rows[i], cols[i]], order=1, mode=mode)
            np.testing.assert_allclose(ours[i, ..., channel], reference, rtol=0, atol=1e-12)


def test_pixelate_is_a_box_average_shown_in_blocks():
    images = smooth_images(3)
    for severity in SEVERITIES:
        size = int(32 * PARAMETERS["pixelate"][severity - 1])
        out = corrupt(images, "pixelate", severity)
        # Box upsampling copies pixel floor((i + 0.5) * size / 32) of the small image.
        source = np.floor((np.arange(32) + 0.5) * size / 32).astype(int)
        first = np.searchsorted(source, np.arange(size))  # an output pixel of each block
        small = out[:, first][:, :, first]
        np.testing.assert_array_equal(out, small[:, source][:, :, source])
        # The small image is Pillow's box filter: the plain mean of the pixels whose centres
        # fall in each small pixel's span, (i, i + 1] * 32 / size. Pillow rounds to integers after
        # each of its two passes (rows, then columns): within one level.
        centres = np.arange(32) + 0.5
        span = np.arange(size + 1) * 32 / size
        inside = (centres > span[:-1, None]) & (centres <= span[1:, None])
        weights = inside / inside.sum(axis=1, keepdims=True)
        average = np.einsum("ih,nhwc,jw->nijc", weights, images.astype(float), weights)
        error = np.abs(small - average)
        assert error.max() <= 1.0 and error.mean() < 0.3, (severity, error.max(), error.mean())


def test_jpeg_compression_is_pillows_encoder_at_the_severitys_quality():
    images = smooth_images(3)
    for severity in SEVERITIES:
        quality = PARAMETERS["jpeg_compression"][severity - 1]
        for image, out in zip(images, corrupt(images, "jpeg_compression", severity)):
            buffer = io.BytesIO()
            Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
            np.testing.assert_array_equal(out, np.asarray(Image.open(buffer)))


def test_parameters_are_those_of_cifar_10_c():
    # As written in make_cifar_c.py (hendrycks/robustness, ImageNet-C/create_c/).
    assert PARAMETERS["gaussian_noise"] == (0.04, 0.06, 0.08, 0.09, 0.10)
    assert PARAMETERS["shot_noise"] == (500, 250, 100, 75, 50)
    assert PARAMETERS["impulse_noise"] == (0.01, 0.02, 0.03, 0.05, 0.07)
    assert PARAMETERS["speckle_noise"] == (0.06, 0.1, 0.12, 0.16, 0.2)
    assert PARAMETERS["defocus_blur"] == ((0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1))
    assert PARAMETERS["gaussian_blur"] == (0.4, 0.6, 0.7, 0.8, 1)
    assert PARAMETERS["contrast"] == (0.75, 0.5, 0.4, 0.3, 0.15)
    assert PARAMETERS["brightness"] == (0.05, 0.1, 0.15, 0.2, 0.3)
    assert PARAMETERS["saturate"] == ((0.3, 0), (0.1, 0), (1.5, 0), (2, 0.1), (2.5, 0.2))
    assert PARAMETERS["pixelate"] == (0.95, 0.9, 0.85, 0.75, 0.65)
    assert PARAMETERS["jpeg_compression"] == (80, 65, 58, 50, 40)
    np.testing.assert_allclose(PARAMETERS["elastic_transform"][1], (1.6, 6.4, 2.24))
    # np.arange(1, 1.06, 0.01) has 7 factors, its float steps reaching 1.06.
    assert [len(zooms) for zooms in PARAMETERS["zoom_blur"]] == [7, 12, 16, 21, 26]
    assert [round(zooms[-1], 2) for zooms in PARAMETERS["zoom_blur"]] == [1.06, 1.11, 1.15, 1.2, 1.25]
    assert set(PARAMETERS) == set(CORRUPTIONS) and SEVERITIES == (1, 2, 3, 4, 5)
    assert corruption_parameters("saturate", 4) == (2, 0.1)


NAMES = ", ".join(repr(name) for name in CORRUPTIONS)
SEED = "`seed`. Expected an integer >= 0. Received: seed="
IMAGES = "a uint8 array of shape (N, H, W, 3) or (H, W, 3), H and W >= 4"
SEVERITY = "`severity`. Expected an integer in 1..5. Received: severity="


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: corrupt(gray(1, 2), "fog", 1), f"`corruption`. Expected one of {NAMES}. Received: corruption='fog'"),
        (lambda: corrupt(gray(1, 2), "contrast", 0), SEVERITY + "0"),
        (lambda: corrupt(gray(1, 2), "contrast", 6), SEVERITY + "6"),
        (lambda: corrupt(gray(1, 2), "contrast", 2.0), SEVERITY + "2.0"),
        (lambda: corrupt(gray(1, 2), "contrast", True), SEVERITY + "True"),
        (lambda: corrupt(gray(1, 2), "contrast", 1, seed=-1), SEED + "-1"),
        (lambda: corrupt(gray(1, 2), "contrast", 1, seed=None), SEED + "None"),
        (lambda: corrupt(gray(1, 2).astype("float32"), "contrast", 1),
         f"`images`. Expected {IMAGES}. Received: images with dtype float32 and shape (2, 32, 32, 3)"),
        (lambda: corrupt(gray(1, 2)[..., :1], "contrast", 1),
         f"`images`. Expected {IMAGES}. Received: images with dtype uint8 and shape (2, 32, 32, 1)"),
        (lambda: corrupt(gray(1, 2)[:, :, :, 0], "contrast", 1),
         f"`images`. Expected {IMAGES}. Received: images with dtype uint8 and shape (2, 32, 32)"),
        (lambda: corrupt(gray(1, 2)[:, :3], "contrast", 1),
         f"`images`. Expected {IMAGES}. Received: images with dtype uint8 and shape (2, 3, 32, 3)"),
        (lambda: corruption_parameters("glass_blur", 1), "`corruption`. Expected one of"),
        (lambda: corruption_parameters("contrast", 9), SEVERITY + "9"),
    ],
)
def test_invalid_arguments_are_refused_with_keras_messages(call, message):
    with pytest.raises(ValueError, match="^Invalid value received for argument " + re.escape(message)):
        call()
