"""`make_dataset`: arrays to a batched `tf.data` pipeline, augmented with Keras's layers.

The training pipeline is a pure function of ``(seed, epoch)``: epoch ``e``
shuffles the example indices with a stateless permutation seeded by
``(seed, e)``, and batch ``b`` of it is augmented from seeds derived from
``(seed, e, b)`` (`kerasreg.data.augmentation`). So a run resumed at epoch
``e`` sees exactly the batches an uninterrupted run would have seen, and two
pipelines with one seed agree bit for bit. Batches are gathered from the
in-memory arrays, scaled to float32 in [0, 1], augmented, then prefetched.
"""

import numbers

import numpy as np
import tensorflow as tf

from kerasreg.data.augmentation import AUGMENTATIONS, Augmentation
from kerasreg.validation import (
    check_bool,
    check_finite_float,
    check_positive_int,
    check_seed,
    invalid_argument,
)


def make_dataset(
    x,
    y,
    *,
    batch_size,
    training,
    num_classes=None,
    augment=(),
    translate_pixels=4,
    erasing_rate=0.0,
    mixup_alpha=0.0,
    cutmix_alpha=0.0,
    seed=0,
    drop_remainder=False,
    epochs=None,
    first_epoch=0,
    progressive_size=0,
    progressive_epochs=0,
):
    """A `tf.data.Dataset` of ``(x, y)`` batches from in-memory arrays.

    ``x`` may be any numeric array with one row per example. ``uint8``
    arrays of rank 4 are images: they come out float32 in [0, 1] and are
    the only data the augmentations accept. Other float arrays come out
    float32, integer arrays (token ids) as they are.

    Images come out float32 in [0, 1], shape ``(batch, height, width,
    channels)``. Labels are the int64 class indices, except when
    ``mixup_alpha`` or ``cutmix_alpha`` is > 0: then they are one-hot
    float32 ``(batch, num_classes)`` (soft after mixing) for training *and*
    evaluation pipelines, so the model must use a categorical loss
    (``keras.losses.CategoricalCrossentropy``) and categorical metrics.

    With ``training=True`` every epoch is a new seeded shuffle of all
    examples, augmented; with ``training=False`` the examples keep their
    order and are only scaled, so evaluation sees the data as it is.

    Args:
        x: Array ``(n, ...)``; uint8 ``(n, height, width, channels)`` for images.
        y: Array ``(n, ...)``: integer class labels, binary or float targets.
        batch_size: Integer >= 1.
        training: Bool; shuffle and augment when True.
        num_classes: Integer >= 1, for the one-hot labels of MixUp/CutMix;
            None for data without mixing.
        augment: Names from `AUGMENTATIONS` (``"flip"``,
            ``"alternating_flip"``, ``"translate"``, ``"crop"``,
            ``"erasing"``; see `kerasreg.data.augmentation`), applied in
            that order, training only. ``"alternating_flip"`` (airbench94's
            derandomized flip) mirrors each example in a seeded half of the
            epochs: a random choice in the first epoch, the opposite one in
            the next, and so on; it is applied first and needs ``epochs``. ``"translate"`` shifts
            each image on whole batches; ``"crop"`` (pad and
            `keras.layers.RandomCrop`) does the same per example and is
            slower.
        translate_pixels: Integer >= 0, largest shift of ``"translate"`` and
            ``"crop"`` (CIFAR's classic 4).
        erasing_rate: Float in [0, 1], probability that ``"erasing"``
            erases a patch of an image; 0 erases nothing.
        mixup_alpha: Float >= 0, MixUp's Beta(alpha, alpha) parameter;
            0 is off.
        cutmix_alpha: Float in [0, 1], CutMix's Beta(alpha, alpha)
            parameter (Keras allows at most 1); 0 is off. With both on,
            each batch gets one of the two, at random.
        seed: Integer >= 0 or ``None`` (a fresh random seed); the shuffle
            and the augmentations of epoch ``e`` are a function of
            ``(seed, e)``.
        drop_remainder: Bool, drop the last partial batch.
        epochs: ``None`` or an integer >= 1 (training only). ``None``: the
            dataset is one epoch, and each new iteration over it is the next
            epoch (for ``model.fit(dataset, epochs=...)``). An integer: the
            dataset holds epochs ``first_epoch .. epochs - 1`` back to back
            (``len(x) / batch_size`` batches each, rounded as
            ``drop_remainder`` says), for
            ``model.fit(dataset, epochs=epochs, initial_epoch=first_epoch,
            steps_per_epoch=...)``, which is how a resumed run continues with
            the exact batches of an uninterrupted one.
        first_epoch: Integer >= 0 and < ``epochs``; the epoch the dataset
            starts at (needs ``epochs``).
        progressive_size: Integer >= 0 (0 is off; images, training only):
            progressive resizing (as in fast.ai's DAWNBench runs). The
            batches of epochs ``0 .. progressive_epochs - 1`` are
            downscaled, after augmentation, to ``progressive_size`` x
            ``progressive_size`` (bilinear with antialiasing); later epochs
            keep the full size. The batches' static shape then leaves height
            and width unknown, so the model must take any image size.
        progressive_epochs: Integer >= 0, the number of downscaled epochs;
            >= 1 and < ``epochs`` with ``progressive_size``, 0 without.

    Returns:
        A batched, prefetched `tf.data.Dataset`.

    Example:

    >>> import numpy as np
    >>> from kerasreg.data import make_dataset
    >>> x = np.zeros((10, 8, 8, 3), "uint8")
    >>> y = np.arange(10) % 2
    >>> ds = make_dataset(x, y, batch_size=4, training=True, num_classes=2,
    ...                   augment=("flip", "translate"), mixup_alpha=0.2)
    >>> images, labels = next(iter(ds))
    >>> images.shape, images.dtype.name, labels.shape, labels.dtype.name
    (TensorShape([4, 8, 8, 3]), 'float32', TensorShape([4, 2]), 'float32')
    """
    x, y = _check_arrays(x, y)
    batch_size = check_positive_int("batch_size", batch_size)
    training = check_bool("training", training)
    image = is_image(x)
    augment = check_augment(augment)
    mixing = (mixup_alpha or 0) > 0 or (cutmix_alpha or 0) > 0
    if not image and (augment or mixing):
        what = "augment" if augment else "mixup_alpha" if mixup_alpha else "cutmix_alpha"
        raise invalid_argument(what, "nothing (no augmentation) for data that is not uint8 images "
                               f"(x has dtype {x.dtype}, shape {x.shape})", augment if augment else
                               (mixup_alpha or cutmix_alpha))  # fmt: skip
    if mixing or num_classes is not None:
        num_classes = check_positive_int("num_classes", num_classes)
    if isinstance(translate_pixels, bool) or not isinstance(translate_pixels, numbers.Integral) or translate_pixels < 0:
        raise invalid_argument("translate_pixels", "an integer >= 0", translate_pixels)
    # The image size bounds the shift only where a shift is made.
    shifts = {"translate", "crop"} & set(augment)
    if shifts and not translate_pixels < min(x.shape[1:3]):
        expected = f"an integer in [0, {min(x.shape[1:3]) - 1}] for images of {x.shape[1]}x{x.shape[2]}"
        raise invalid_argument("translate_pixels", expected, translate_pixels)
    erasing_rate = _check_unit_float("erasing_rate", erasing_rate)
    if erasing_rate > 0 and "erasing" not in augment:
        raise invalid_argument("erasing_rate", "0 unless 'erasing' is in `augment`", erasing_rate)
    mixup_alpha = check_finite_float("mixup_alpha", mixup_alpha)
    if mixup_alpha < 0:
        raise invalid_argument("mixup_alpha", "a float >= 0 (0 is off)", mixup_alpha)
    cutmix_alpha = _check_unit_float("cutmix_alpha", cutmix_alpha)
    seed = check_seed(seed)
    drop_remainder = check_bool("drop_remainder", drop_remainder)
    if epochs is not None:
        epochs = check_positive_int("epochs", epochs)
        if not training:
            raise invalid_argument("epochs", "None for an evaluation pipeline (training=False)", epochs)
    if isinstance(first_epoch, bool) or not isinstance(first_epoch, numbers.Integral) or first_epoch < 0:
        raise invalid_argument("first_epoch", "an integer >= 0", first_epoch)
    if training and "alternating_flip" in augment and epochs is None:
        raise invalid_argument("augment", "no 'alternating_flip' without `epochs` (it needs the epoch number)", augment)
    if first_epoch and (epochs is None or first_epoch >= epochs):
        raise invalid_argument("first_epoch", f"an integer in [0, epochs) with `epochs` given (epochs={epochs})", first_epoch)
    progressive_size, progressive_epochs = _check_progressive(x, training, epochs, progressive_size, progressive_epochs)

    augmentation = Augmentation(
        x.shape[1:] if image else (1, 1, 1),
        augment if training else (),
        translate_pixels=int(translate_pixels) if shifts else 0,
        erasing_rate=erasing_rate,
        mixup_alpha=mixup_alpha if training else 0.0,
        cutmix_alpha=cutmix_alpha if training else 0.0,
    )
    one_hot = mixup_alpha > 0 or cutmix_alpha > 0
    images = tf.constant(x)
    labels = tf.constant(y)

    def scale(batch_images, batch_labels):
        # Images to [0, 1]; other floats to float32; integers (token ids) as they are.
        if image:
            batch_images = tf.cast(batch_images, tf.float32) / 255.0
        elif batch_images.dtype.is_floating:
            batch_images = tf.cast(batch_images, tf.float32)
        if one_hot:
            batch_labels = tf.one_hot(batch_labels, num_classes, dtype=tf.float32)
        return batch_images, batch_labels

    if not training:
        dataset = tf.data.Dataset.range(len(x)).batch(batch_size, drop_remainder=drop_remainder)
        dataset = dataset.map(lambda i: scale(tf.gather(images, i), tf.gather(labels, i)),
                              num_parallel_calls=tf.data.AUTOTUNE)
        return dataset.prefetch(tf.data.AUTOTUNE)

    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0] % 2**31)
    run_key = tf.constant([seed, 0x6B72], tf.int64)  # 0x6B72: "kr", any fixed constant
    # alternating_flip: whether each example is mirrored in epoch 0 (and
    # every even epoch); odd epochs mirror the others.
    first_flips = None
    if "alternating_flip" in augment:
        first_flips = tf.constant(np.random.default_rng([seed, 0x666C]).integers(0, 2, len(x)), tf.int64)

    def epoch_batches(epoch):
        # (seed, epoch) -> a permutation of all examples, batched, each batch
        # carrying the stateless seed it is augmented with.
        epoch_key = tf.random.experimental.stateless_fold_in(run_key, epoch)
        order = tf.random.experimental.stateless_shuffle(tf.range(len(x), dtype=tf.int64), seed=epoch_key)
        batches = tf.data.Dataset.from_tensor_slices(order).batch(batch_size, drop_remainder=drop_remainder)
        return batches.enumerate().map(
            lambda index, batch: (batch, tf.random.experimental.stateless_fold_in(epoch_key, index), epoch)
        )

    if epochs is None:
        # Each new iteration draws the next epoch number from a seeded stream.
        epoch_numbers = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
    else:
        epoch_numbers = tf.data.Dataset.range(first_epoch, epochs)
    per_epoch = len(x) // batch_size if drop_remainder else -(-len(x) // batch_size)
    num_epochs = 1 if epochs is None else epochs - first_epoch
    # flat_map hides the length; Keras's progress bar and epoch ends need it.
    dataset = epoch_numbers.flat_map(epoch_batches).apply(tf.data.experimental.assert_cardinality(per_epoch * num_epochs))

    def gather(indices, batch_seed, epoch):
        batch_images, batch_labels = scale(tf.gather(images, indices), tf.gather(labels, indices))
        if first_flips is not None:
            mirror = tf.math.floormod(tf.gather(first_flips, indices) + epoch, 2) == 1
            batch_images = tf.where(mirror[:, None, None, None], tf.reverse(batch_images, axis=[2]), batch_images)
        return batch_images, batch_labels, batch_seed, epoch

    dataset = dataset.map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    def keep_epoch(batch, epoch):
        # Each batch keeps its epoch number only where progressive resizing reads it.
        return (*batch, epoch) if progressive_epochs else tuple(batch)

    if augmentation.random:
        # Sequential: the Keras layers draw from seed states that each batch
        # resets first (see `Augmentation.augment_batch`).
        dataset = dataset.map(lambda i, l, s, e: keep_epoch(augmentation.augment_batch(i, l, s), e))
    else:
        dataset = dataset.map(lambda i, l, s, e: keep_epoch((i, l), e))
    if progressive_epochs:
        channels = x.shape[-1]

        def resize(batch_images, batch_labels, epoch):
            small = lambda: tf.image.resize(batch_images, (progressive_size, progressive_size), antialias=True)  # noqa: E731
            batch_images = tf.cond(epoch < progressive_epochs, small, lambda: batch_images)
            batch_images.set_shape([None, None, None, channels])
            return batch_images, batch_labels

        dataset = dataset.map(resize, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def _check_progressive(x, training, epochs, size, count):
    """``(progressive_size, progressive_epochs)`` as ints, or the error naming the bad one."""
    for name, value in (("progressive_size", size), ("progressive_epochs", count)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise invalid_argument(name, "an integer >= 0 (0 is off)", value)
    if not size and not count:
        return 0, 0
    if not size or not count:
        name, value, other = ("progressive_size", size, "progressive_epochs") if size else ("progressive_epochs", count,
                                                                                         "progressive_size")  # fmt: skip
        raise invalid_argument(name, f"0 while {other} is 0 (the two are set together)", value)
    if not is_image(x) or not training:
        raise invalid_argument("progressive_size", "0 except for a training pipeline of uint8 images", size)
    if size >= min(x.shape[1:3]):
        expected = f"an integer in [1, {min(x.shape[1:3]) - 1}] for images of {x.shape[1]}x{x.shape[2]} (it downscales)"
        raise invalid_argument("progressive_size", expected, size)
    if epochs is None or count >= epochs:
        raise invalid_argument("progressive_epochs", f"an integer in [1, epochs) with `epochs` given (epochs={epochs}), "
                               "so that the last epochs train at the full size", count)  # fmt: skip
    return int(size), int(count)


def check_augment(augment):
    """``augment`` as a tuple of names from `AUGMENTATIONS`; a single name is allowed."""
    names = (augment,) if isinstance(augment, str) else augment
    try:
        names = tuple(names)
    except TypeError:
        raise invalid_argument("augment", f"a sequence of names from {_allowed()}", augment) from None
    for name in names:
        if name not in AUGMENTATIONS:
            raise invalid_argument("augment", f"names from {_allowed()}; {name!r} is not one of them", augment)
    if len(set(names)) != len(names):
        raise invalid_argument("augment", "each name at most once", augment)
    if "flip" in names and "alternating_flip" in names:
        raise invalid_argument("augment", "'flip' or 'alternating_flip', not both", augment)
    return names


def is_image(x):
    """Whether ``x`` is what the pipeline treats as images: ``uint8`` of shape ``(n, height, width, channels)``."""
    return x.dtype == np.uint8 and x.ndim == 4


def _check_arrays(x, y):
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_):
        received = f"<array of dtype {x.dtype}, shape {x.shape}>"
        raise invalid_argument("x", "a numeric array with one row per example (uint8 images are scaled)", received)
    if y.ndim == 0 or len(y) != len(x) or not (np.issubdtype(y.dtype, np.number) or y.dtype == np.bool_):
        raise invalid_argument(
            "y", f"numeric labels or targets with {len(x)} rows", f"<array of dtype {y.dtype}, shape {y.shape}>"
        )
    if not len(x):
        raise invalid_argument("x", "at least one example", "<empty array>")
    if np.issubdtype(y.dtype, np.integer):
        y = y.astype(np.int64)
    elif np.issubdtype(y.dtype, np.floating) or y.dtype == np.bool_:
        y = y.astype(np.float32)
    return x, y


def _check_unit_float(name, value):
    value = check_finite_float(name, value)
    if not 0.0 <= value <= 1.0:
        raise invalid_argument(name, "a float in [0, 1] (0 is off)", value)
    return value


def _allowed():
    return ", ".join(repr(name) for name in AUGMENTATIONS)
