"""Common corruptions of CIFAR-sized images, as in CIFAR-10-C (Hendrycks & Dietterich, 2019).

`corrupt(images, corruption, severity, seed)` applies one corruption at one
of five severities to a batch of uint8 RGB images, with the CIFAR-10-C
parameters of the original generator (``make_cifar_c.py`` in
``hendrycks/robustness``), so a model's accuracy and calibration under
distribution shift can be measured without downloading CIFAR-10-C. The
module needs only NumPy, SciPy, Pillow and ``matplotlib.colors``.

The corruptions, in `CORRUPTIONS` order, and their parameter at severities
1 to 5 (`PARAMETERS`; pixel values are in [0, 1] inside the formulas):

====================  ============================================  ======================================
corruption            parameter                                     severities 1 .. 5
====================  ============================================  ======================================
gaussian_noise        stddev c: ``x + N(0, c)``                     .04 .06 .08 .09 .10
shot_noise            photons c: ``Poisson(x * c) / c``             500 250 100 75 50
impulse_noise         amount: fraction set to 0 or 1                .01 .02 .03 .05 .07
speckle_noise         stddev c: ``x + x * N(0, c)``                 .06 .10 .12 .16 .20
defocus_blur          (disk radius, anti-alias sigma) in pixels     (.3, .4) (.4, .5) (.5, .6) (1, .2)
                                                                    (1.5, .1)
gaussian_blur         sigma in pixels                               .4 .6 .7 .8 1
zoom_blur             zoom factors averaged with the image          1.00 to 1.06 / 1.11 / 1.15 / 1.20 /
                                                                    1.25, step .01
brightness            added to HSV value                            .05 .10 .15 .20 .30
contrast              factor c: ``(x - mean) * c + mean``           .75 .50 .40 .30 .15
saturate              (scale, shift) of HSV saturation              (.3, 0) (.1, 0) (1.5, 0) (2, .1)
                                                                    (2.5, .2)
elastic_transform     (alpha, sigma, affine jitter) in pixels       (0, 0, 2.56) (1.6, 6.4, 2.24)
                                                                    (2.56, 1.92, 1.92) (3.2, 1.28, 1.6)
                                                                    (3.2, .96, .96)
pixelate              downscale factor (box filter down and up)     .95 .90 .85 .75 .65
jpeg_compression      JPEG quality (Pillow)                         80 65 58 50 40
====================  ============================================  ======================================

The severities are not all ordered by the size of the change: saturate's
severity 2 (saturation x 0.1) changes an image more than its severity 3
(x 1.5), and elastic_transform's first severities warp more than its last.

Left out of the original 19: glass_blur (a sequential per-pixel swap loop
in Python), motion_blur and snow (ImageMagick's motion blur through Wand),
frost (photographs of frost shipped with the generator), spatter (OpenCV's
Canny edges and distance transform) and fog (a diamond-square fractal).

Float results become uint8 as in the original,
``np.uint8(np.clip(x, 0, 1) * 255)``: truncated, not rounded, so float round-off can take an exact
integer one level down (a constant image under contrast or a blur may come
out one level darker), there as here. On 200 CIFAR-10 test images,
defocus_blur, gaussian_blur, contrast, brightness, saturate, pixelate and
jpeg_compression give the original's bytes exactly (with OpenCV 4.14,
scikit-image 0.26 and the same Pillow), zoom_blur all but a few values in
a million. Where this module differs from the original:

- Noise comes from ``np.random.default_rng`` (PCG64) instead of the legacy
  global ``np.random``: the same distributions, other draws.
- impulse_noise sets each value (per channel) independently to 0 or 1 with
  probability ``amount / 2`` each, the distribution of scikit-image's
  ``random_noise(mode='s&p')`` that the original calls.
- gaussian_blur is ``scipy.ndimage.gaussian_filter`` (mode ``'nearest'``,
  truncate 4), which is what the original's ``skimage.filters.gaussian``
  calls: the same values.
- defocus_blur builds OpenCV's kernel (a disk blurred by a 3-tap Gaussian,
  ``cv2.GaussianBlur``) with the same float32 steps and applies it with
  ``scipy.ndimage.correlate`` in mode ``'mirror'``, OpenCV's default
  border (``BORDER_REFLECT_101``) of ``cv2.filter2D``.
- zoom_blur computes ``scipy.ndimage.zoom(..., order=1)`` of the centre
  crops as matrix products (in float64, then summed in float32 as there):
  a few values in a million one level apart.
- brightness and saturate use ``matplotlib.colors`` HSV conversions, the
  same formulas as ``skimage.color``. saturate keeps the original's quirk
  that gray pixels (hue 0) turn reddish when the saturation shift is > 0
  (severities 4 and 5).
- elastic_transform reimplements ``cv2.getAffineTransform`` and
  ``cv2.warpAffine`` (bilinear, ``BORDER_REFLECT_101``, source coordinates
  rounded to 1/32 pixel in OpenCV's fixed point), and interpolates the
  elastic displacement bilinearly with half-sample reflection, the values
  of ``scipy.ndimage.map_coordinates(order=1, mode='reflect')``; in float64
  instead of float32. Given the same random draws, under 0.4% of the values
  differ from the original's, by one level.
- jpeg_compression and pixelate make the original's Pillow calls; a
  JPEG's bytes may differ with the libjpeg build behind Pillow.

Randomness: the noises and elastic_transform draw from a generator seeded
with ``(seed, corruption, severity)``, so corruptions and severities draw
independent noise. The draws go image by image: image ``i`` of a batch gets
the same corruption whatever follows it, so
``corrupt(images[:k], ...)`` equals ``corrupt(images, ...)[:k]``; but the
images of a second call (another chunk of a data set) with the same seed
get the noise of the first call's first images. Corrupt a data set in one
call, or give each chunk its own seed.

Reference:
    Hendrycks & Dietterich, "Benchmarking Neural Network Robustness to
    Common Corruptions and Perturbations", ICLR 2019.
"""

import io
import numbers
import types
import zlib

import numpy as np
from matplotlib.colors import hsv_to_rgb, rgb_to_hsv
from PIL import Image
from scipy import ndimage

from kerasreg.validation import check_choice, invalid_argument

CORRUPTIONS = (
    "gaussian_noise",
    "shot_noise",
    "impulse_noise",
    "speckle_noise",
    "defocus_blur",
    "gaussian_blur",
    "zoom_blur",
    "brightness",
    "contrast",
    "saturate",
    "elastic_transform",
    "pixelate",
    "jpeg_compression",
)

SEVERITIES = (1, 2, 3, 4, 5)

# The CIFAR-10 parameters of make_cifar_c.py, one per severity. zoom_blur's
# factors are np.arange's, whose float steps reach past the stop in the
# first case: 1.00 .. 1.06 (7 factors), then 1.00 .. 1.11 (12), 1.15 (16),
# 1.20 (21), 1.25 (26), as the original averages them.
PARAMETERS = types.MappingProxyType({
    "gaussian_noise": (0.04, 0.06, 0.08, 0.09, 0.10),
    "shot_noise": (500, 250, 100, 75, 50),
    "impulse_noise": (0.01, 0.02, 0.03, 0.05, 0.07),
    "speckle_noise": (0.06, 0.1, 0.12, 0.16, 0.2),
    "defocus_blur": ((0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1)),
    "gaussian_blur": (0.4, 0.6, 0.7, 0.8, 1),
    "zoom_blur": tuple(
        tuple(float(z) for z in np.arange(1, stop, 0.01)) for stop in (1.06, 1.11, 1.16, 1.21, 1.26)
    ),
    "brightness": (0.05, 0.1, 0.15, 0.2, 0.3),
    "contrast": (0.75, 0.5, 0.4, 0.3, 0.15),
    "saturate": ((0.3, 0), (0.1, 0), (1.5, 0), (2, 0.1), (2.5, 0.2)),
    # The original writes them as fractions of the image size 32.
    "elastic_transform": (
        (32 * 0, 32 * 0, 32 * 0.08),
        (32 * 0.05, 32 * 0.2, 32 * 0.07),
        (32 * 0.08, 32 * 0.06, 32 * 0.06),
        (32 * 0.1, 32 * 0.04, 32 * 0.05),
        (32 * 0.1, 32 * 0.03, 32 * 0.03),
    ),
    "pixelate": (0.95, 0.9, 0.85, 0.75, 0.65),
    "jpeg_compression": (80, 65, 58, 50, 40),
})


def corruption_parameters(corruption, severity):
    """The CIFAR-10-C parameter of ``corruption`` at ``severity``.

    Args:
        corruption: One of `CORRUPTIONS`.
        severity: Integer in 1..5.

    Returns:
        The parameter as in `PARAMETERS`: a number, or a tuple for
        defocus_blur, zoom_blur, saturate and elastic_transform.

    Example:

    >>> from kerasreg.uncertainty.corruptions import corruption_parameters
    >>> corruption_parameters("gaussian_noise", 2), corruption_parameters("saturate", 4)
    (0.06, (2, 0.1))
    """
    check_choice("corruption", corruption, CORRUPTIONS)
    return PARAMETERS[corruption][_check_severity(severity) - 1]


def corrupt(images, corruption, severity, seed=0):
    """Applies a CIFAR-10-C corruption at one severity to a batch of images.

    Args:
        images: uint8 array ``(N, H, W, 3)`` of RGB images, or one image
            ``(H, W, 3)``; H, W >= 4. The parameters are CIFAR-10's, in
            pixels of 32x32 images.
        corruption: One of `CORRUPTIONS`.
        severity: Integer in 1..5.
        seed: Integer >= 0. With the corruption and severity it seeds the
            noise; the deterministic corruptions (blurs, brightness,
            contrast, saturate, pixelate, jpeg_compression) ignore it.

    Returns:
        A new uint8 array of the shape of ``images``: the corrupted images,
        clipped to [0, 255] and truncated as the original generator does.
        Image ``i`` depends on ``images[: i + 1]`` only (see the module
        docstring).

    Example:

    >>> import numpy as np
    >>> from kerasreg.uncertainty.corruptions import corrupt
    >>> gray = np.full((2, 32, 32, 3), 128, dtype="uint8")
    >>> noisy = corrupt(gray, "gaussian_noise", 3, seed=1)
    >>> noisy.shape, noisy.dtype.name, bool(np.array_equal(noisy, corrupt(gray, "gaussian_noise", 3, seed=1)))
    ((2, 32, 32, 3), 'uint8', True)
    >>> corrupt(gray, "brightness", 1)[0, 0, 0].tolist()  # (128 / 255 + 0.05) * 255 = 140.75, truncated
    [140, 140, 140]
    """
    check_choice("corruption", corruption, CORRUPTIONS)
    severity = _check_severity(severity)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise invalid_argument("seed", "an integer >= 0", seed)
    x = _check_images(images)
    single = x.ndim == 3
    batch = x[None] if single else x
    if len(batch) == 0:
        return x.copy()
    # crc32 of the name, not its position in CORRUPTIONS, so that adding a
    # corruption never changes the noise of the others.
    rng = np.random.default_rng([int(seed), zlib.crc32(corruption.encode()), severity])
    out = _FUNCTIONS[corruption](batch, PARAMETERS[corruption][severity - 1], rng)
    if out.dtype != np.uint8:
        # Truncated, as the original's np.uint8(...).
        out = (np.clip(out, 0.0, 1.0) * 255.0).astype(np.uint8)
    return out[0] if single else out


def _check_severity(severity):
    if isinstance(severity, bool) or not isinstance(severity, numbers.Integral) or severity not in SEVERITIES:
        raise invalid_argument("severity", "an integer in 1..5", severity)
    return int(severity)


def _check_images(images):
    expected = "a uint8 array of shape (N, H, W, 3) or (H, W, 3), H and W >= 4"
    x = np.asarray(images)
    if x.dtype != np.uint8 or x.ndim not in (3, 4) or x.shape[-1] != 3 or min(x.shape[-3:-1]) < 4:
        raise ValueError(
            f"Invalid value received for argument `images`. Expected {expected}. "
            f"Received: images with dtype {x.dtype} and shape {x.shape}"
        )
    return x


# Each corruption: f(images uint8 (N, H, W, 3), parameter, rng) -> floats in
# [0, 1] (clipped and truncated by `corrupt`) or uint8 images.


def _unit(images):
    return images / 255.0


def _gaussian_noise(images, c, rng):
    x = _unit(images)
    return x + rng.normal(scale=c, size=x.shape)


def _shot_noise(images, c, rng):
    return rng.poisson(_unit(images) * c) / c


def _impulse_noise(images, amount, rng):
    # One uniform per value: below amount / 2 salt, up to amount pepper; the
    # same distribution as independent "flip" and "salt" coin tosses.
    u = rng.random(images.shape)
    x = _unit(images)
    x[u < amount] = 0.0
    x[u < amount / 2] = 1.0
    return x


def _speckle_noise(images, c, rng):
    x = _unit(images)
    return x + x * rng.normal(scale=c, size=x.shape)


def _defocus_kernel(radius, alias_blur):
    """The original's kernel: a normalized disk on a 17x17 grid, blurred by a 3x3 Gaussian.

    In float32, as OpenCV builds it (``cv2.GaussianBlur`` of a float32
    disk: a row pass, then a column pass): with these exact weights the blur
    truncates to the original's bytes.
    """
    span = np.arange(-8, 9)
    rows, cols = np.meshgrid(span, span, indexing="ij")
    disk = (rows**2 + cols**2 <= radius**2).astype("float32")
    disk /= disk.sum(dtype="float32")
    taps = np.exp(-np.array([1.0, 0.0, 1.0]) / (2 * alias_blur**2))
    taps = (taps / taps.sum()).astype("float32")  # cv2.getGaussianKernel
    padded = np.pad(disk, 1)
    across = taps[0] * padded[:, :-2] + taps[1] * padded[:, 1:-1] + taps[2] * padded[:, 2:]
    kernel = taps[0] * across[:-2] + taps[1] * across[1:-1] + taps[2] * across[2:]
    # Zero outside the disk's blurred support (5x5 at most for the CIFAR
    # radii): trimming the zeros spares the filter the work.
    keep_rows = np.flatnonzero(kernel.any(axis=1))
    keep_cols = np.flatnonzero(kernel.any(axis=0))
    return kernel[keep_rows[0]: keep_rows[-1] + 1, keep_cols[0]: keep_cols[-1] + 1].astype("float64")


def _defocus_blur(images, parameter, rng):
    kernel = _defocus_kernel(*parameter)
    return ndimage.correlate(_unit(images), kernel[None, :, :, None], mode="mirror")


def _gaussian_blur(images, sigma, rng):
    return ndimage.gaussian_filter(_unit(images), sigma=(0, sigma, sigma, 0), mode="nearest", truncate=4.0)


def _zoom_rows(size, zoom):
    """Matrix ``(size, size)`` that takes the centre crop, zooms it (linear) and trims it back to ``size``.

    The same steps as the original's ``clipped_zoom`` along one axis:
    crop ``ceil(size / zoom)`` samples, resample them to
    ``round(crop * zoom)`` with ``scipy.ndimage.zoom(order=1)``'s
    coordinates ``o * (crop - 1) / (out - 1)``, keep the middle ``size``.
    """
    crop = int(np.ceil(size / zoom))
    top = (size - crop) // 2
    zoomed = int(round(crop * zoom))
    trim = (zoomed - size) // 2
    outputs = np.arange(trim, trim + size)
    coordinate = outputs * ((crop - 1) / (zoomed - 1))  # zoomed >= size >= 4
    low = np.minimum(np.floor(coordinate).astype(int), crop - 1)
    high = np.minimum(low + 1, crop - 1)
    weight = coordinate - low
    matrix = np.zeros((size, size))
    np.add.at(matrix, (np.arange(size), top + low), 1.0 - weight)
    np.add.at(matrix, (np.arange(size), top + high), weight)
    return matrix


def _zoom_blur(images, zooms, rng):
    # In float32 as the original: each zoom rounded to float32, summed in
    # float32, so that the truncation to uint8 meets the same round-off.
    x = np.moveaxis(_unit(images), -1, 1)  # (N, 3, H, W): the zoom is two matrix products
    height, width = x.shape[-2:]
    total = np.zeros(x.shape, dtype="float32")
    for zoom in zooms:
        total += (_zoom_rows(height, zoom) @ x @ _zoom_rows(width, zoom).T).astype("float32")
    blurred = (x.astype("float32") + total) / np.float32(len(zooms) + 1)
    return np.moveaxis(blurred, 1, -1)


def _brightness(images, c, rng):
    hsv = rgb_to_hsv(_unit(images))
    hsv[..., 2] = np.clip(hsv[..., 2] + c, 0.0, 1.0)
    return hsv_to_rgb(hsv)


def _contrast(images, c, rng):
    x = _unit(images)
    means = x.mean(axis=(1, 2), keepdims=True)  # per image and channel, as the original
    return (x - means) * c + means


def _saturate(images, parameter, rng):
    scale, shift = parameter
    hsv = rgb_to_hsv(_unit(images))
    hsv[..., 1] = np.clip(hsv[..., 1] * scale + shift, 0.0, 1.0)
    return hsv_to_rgb(hsv)


def _reflected(index, size, mode):
    """Indices outside ``[0, size)`` folded back: ``"mirror"`` is dcb|abcd|cba, ``"reflect"`` dcba|abcd|dcba."""
    if mode == "mirror":
        period = 2 * (size - 1)
        index = np.abs(index) % period
        return np.where(index >= size, period - index, index)
    period = 2 * size
    index = np.where(index < 0, -index - 1, index) % period
    return np.where(index >= size, period - 1 - index, index)


def _bilinear(x, rows, cols, mode):
    """``x`` (N, H, W, C) sampled at per-image ``rows``/``cols`` (N, H, W), reflecting beyond the edges."""
    n, height, width, channels = x.shape
    r0 = np.floor(rows).astype(int)
    c0 = np.floor(cols).astype(int)
    dr = (rows - r0)[..., None]
    dc = (cols - c0)[..., None]
    # Flat pixel indices into (N * H * W, C): one `take` per corner is much
    # faster than indexing with three broadcast index arrays.
    base = (np.arange(n) * height)[:, None, None]
    r0, r1 = (base + _reflected(r0, height, mode)) * width, (base + _reflected(r0 + 1, height, mode)) * width
    c0, c1 = _reflected(c0, width, mode), _reflected(c0 + 1, width, mode)
    pixels = x.reshape(-1, channels)

    def corner(r, c):
        return pixels.take((r + c).ravel(), axis=0).reshape(x.shape)

    top = corner(r0, c0) * (1 - dc) + corner(r0, c1) * dc
    bottom = corner(r1, c0) * (1 - dc) + corner(r1, c1) * dc
    return top * (1 - dr) + bottom * dr


def _elastic_transform(images, parameter, rng):
    alpha, sigma, jitter = parameter
    x = _unit(images)
    n, height, width = x.shape[:3]
    # One block of draws per image (affine jitter, then both displacement
    # fields) keeps an image's noise independent of the batch after it.
    draws = rng.uniform(-1.0, 1.0, size=(n, 6 + 2 * height * width))
    # A random affine map moving three points (x, y) around the centre by up
    # to `jitter` pixels, as the original's cv2.getAffineTransform (float32
    # points, as there).
    centre = np.array([height // 2, width // 2], dtype="float32")  # the original's (x, y) order
    square = min(height, width) // 3
    source = np.stack([centre + square, centre + [square, -square], centre - square]).astype("float32")
    target = (source + (jitter * draws[:, :6].reshape(n, 3, 2)).astype("float32")).astype("float64")
    source_h = np.concatenate([source, np.ones((3, 1), dtype="float32")], axis=1).astype("float64")
    # m (N, 2, 3): m @ (x, y, 1) of each source point is its target.
    m = np.linalg.solve(source_h, target).transpose(0, 2, 1)
    # cv2.warpAffine samples the source at the inverse map of each output
    # pixel (cv2.invertAffineTransform's formulas).
    det = 1.0 / (m[:, 0, 0] * m[:, 1, 1] - m[:, 0, 1] * m[:, 1, 0])
    a11, a12 = m[:, 1, 1] * det, -m[:, 0, 1] * det
    a21, a22 = -m[:, 1, 0] * det, m[:, 0, 0] * det
    b1 = -a11 * m[:, 0, 2] - a12 * m[:, 1, 2]
    b2 = -a21 * m[:, 0, 2] - a22 * m[:, 1, 2]
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")

    def fixed_point(along_cols, along_rows, shift):
        # OpenCV's fixed-point warp: the row part and the column part rounded
        # to 1/1024 pixel separately, their sum then to 1/32 pixel.
        row_part = np.round((along_rows[:, None, None] * rows + shift[:, None, None]) * 1024).astype("int64")
        col_part = np.round(along_cols[:, None, None] * cols * 1024).astype("int64")
        return ((row_part + col_part + 16) >> 5) / 32.0

    src_x = fixed_point(a11, a12, b1)
    src_y = fixed_point(a21, a22, b2)
    warped = _bilinear(x, src_y, src_x, "mirror")
    fields = draws[:, 6:].reshape(n, 2, height, width)
    fields = ndimage.gaussian_filter(fields, sigma=(0, 0, sigma, sigma), mode="reflect", truncate=3.0) * alpha
    return _bilinear(warped, rows + fields[:, 1], cols + fields[:, 0], "reflect")


def _pixelate(images, factor, rng):
    height, width = images.shape[1:3]
    small = (int(width * factor), int(height * factor))  # PIL sizes are (width, height)
    out = np.empty_like(images)
    for i, image in enumerate(images):
        picture = Image.fromarray(image).resize(small, Image.Resampling.BOX)
        out[i] = np.asarray(picture.resize((width, height), Image.Resampling.BOX))
    return out


def _jpeg_compression(images, quality, rng):
    out = np.empty_like(images)
    for i, image in enumerate(images):
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
        buffer.seek(0)
        with Image.open(buffer) as decoded:
            out[i] = np.asarray(decoded.convert("RGB"))
    return out


_FUNCTIONS = {
    "gaussian_noise": _gaussian_noise,
    "shot_noise": _shot_noise,
    "impulse_noise": _impulse_noise,
    "speckle_noise": _speckle_noise,
    "defocus_blur": _defocus_blur,
    "gaussian_blur": _gaussian_blur,
    "zoom_blur": _zoom_blur,
    "brightness": _brightness,
    "contrast": _contrast,
    "saturate": _saturate,
    "elastic_transform": _elastic_transform,
    "pixelate": _pixelate,
    "jpeg_compression": _jpeg_compression,
}
