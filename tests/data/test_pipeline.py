"""`make_dataset`: batches, scaling, shuffling, Keras augmentation layers, MixUp/CutMix."""

import keras
import numpy as np
import pytest

from kerasreg.data import AUGMENTATIONS, make_dataset

N, SIDE = 24, 8
# Every augmentation that can go together ("flip" excludes "alternating_flip").
COMPATIBLE_AUGMENTATIONS = tuple(name for name in AUGMENTATIONS if name != "alternating_flip")


def indexed_images(n=N, side=SIDE, channels=3, seed=0):
    """Distinct random images; label i is image i, so outputs can be matched to inputs."""
    x = np.random.default_rng(seed).integers(1, 256, size=(n, side, side, channels), dtype=np.uint8)
    return x, np.arange(n)


def batches(dataset):
    return [(np.asarray(images), np.asarray(labels)) for images, labels in dataset]


def epoch(dataset):
    parts = batches(dataset)
    return np.concatenate([i for i, _ in parts]), np.concatenate([l for _, l in parts])


def shifted(image, dy, dx):
    out = np.zeros_like(image)
    h, w = image.shape[:2]
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = image[
        max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


def find_shift(image, original, limit):
    for dy in range(-limit, limit + 1):
        for dx in range(-limit, limit + 1):
            if np.array_equal(image, shifted(original, dy, dx)):
                return dy, dx
    return None


def test_evaluation_batches_are_the_data_scaled_in_order():
    x, y = indexed_images()
    dataset = make_dataset(x, y, batch_size=10, training=False, num_classes=N)
    parts = batches(dataset)
    assert [len(labels) for _, labels in parts] == [10, 10, 4]
    images, labels = epoch(dataset)
    assert images.dtype == np.float32 and labels.dtype == np.int64
    np.testing.assert_array_equal(labels, y)
    np.testing.assert_array_equal(images, x.astype(np.float32) / 255.0)
    assert 0.0 <= images.min() and images.max() <= 1.0
    dropped = make_dataset(x, y, batch_size=10, training=False, num_classes=N, drop_remainder=True)
    assert [len(labels) for _, labels in batches(dropped)] == [10, 10]
    assert dropped.element_spec[0].shape.as_list() == [10, SIDE, SIDE, 3]


def test_evaluation_is_never_augmented():
    x, y = indexed_images()
    dataset = make_dataset(x, y, batch_size=8, training=False, num_classes=N, augment=COMPATIBLE_AUGMENTATIONS,
                           erasing_rate=1.0, mixup_alpha=0.4, cutmix_alpha=1.0)  # fmt: skip
    images, labels = epoch(dataset)
    np.testing.assert_array_equal(images, x.astype(np.float32) / 255.0)
    # Labels stay one-hot, so the categorical loss works on evaluation data too.
    np.testing.assert_array_equal(labels, np.eye(N, dtype=np.float32))


def test_training_reshuffles_every_epoch_with_a_seed():
    x, y = indexed_images()
    dataset = make_dataset(x, y, batch_size=5, training=True, num_classes=N, seed=3)
    first_images, first = epoch(dataset)
    _, second = epoch(dataset)
    assert sorted(first.tolist()) == list(range(N))  # each example once per epoch
    assert first.tolist() != list(range(N)) and first.tolist() != second.tolist()
    np.testing.assert_array_equal(first_images, x[first].astype(np.float32) / 255.0)  # no augmentation asked
    again = make_dataset(x, y, batch_size=5, training=True, num_classes=N, seed=3)
    np.testing.assert_array_equal(epoch(again)[1], first)
    other = make_dataset(x, y, batch_size=5, training=True, num_classes=N, seed=4)
    assert epoch(other)[1].tolist() != first.tolist()


# Rates are measured on enough independent draws (images, for the per-image
# augmentations) that a rate 10 % off fails: the tolerance is 5 % of the rate
# and at least 4 standard errors, sqrt(p (1 - p) / n). At p = 0.5 that needs
# n >= 6,400; these tests use 16,384 tiny images (standard error 0.0039,
# tolerance 0.025: over 6 standard errors).
MANY = 16384


def mirrored_or_same(images, originals):
    """Per image, whether it is the mirrored original; every image must be one of the two."""
    scaled = originals.astype(np.float32) / 255.0
    same = np.all(images == scaled, axis=(1, 2, 3))
    mirrored = np.all(images == scaled[:, :, ::-1], axis=(1, 2, 3))
    assert (same ^ mirrored).all()  # random 4x4 images are never their own mirror
    return mirrored


def test_flip_mirrors_half_the_images():
    x, y = indexed_images(n=MANY, side=4, channels=1)
    dataset = make_dataset(x, y, batch_size=2048, training=True, num_classes=MANY, augment=["flip"], seed=1)
    images, labels = epoch(dataset)
    assert abs(mirrored_or_same(images, x[labels]).mean() - 0.5) < 0.025


def test_alternating_flip_mirrors_each_image_in_every_other_epoch():
    x, y = indexed_images(n=MANY, side=4, channels=1)
    kwargs = dict(batch_size=2048, training=True, num_classes=MANY, augment=["alternating_flip"], epochs=4, seed=5)
    images, labels = epoch(make_dataset(x, y, **kwargs))  # the 4 epochs back to back
    mirrored = mirrored_or_same(images, x[labels])
    flipped = np.zeros((4, MANY), bool)  # [epoch, example]
    flipped[np.repeat(np.arange(4), MANY), labels] = mirrored
    assert abs(flipped[0].mean() - 0.5) < 0.025  # a random half in the first epoch
    np.testing.assert_array_equal(flipped[1], ~flipped[0])  # the other half in the next
    np.testing.assert_array_equal(flipped[2], flipped[0])
    np.testing.assert_array_equal(flipped[3], flipped[1])
    # The same epochs from a pipeline resumed at epoch 3.
    resumed, resumed_labels = epoch(make_dataset(x, y, **{**kwargs, "first_epoch": 3}))
    np.testing.assert_array_equal(resumed, images[3 * MANY :])


@pytest.mark.parametrize("name", ["translate", "crop"])
def test_translate_and_crop_shift_each_image_by_at_most_the_padding(name):
    x, y = indexed_images(n=48)
    dataset = make_dataset(x, y, batch_size=16, training=True, num_classes=48, augment=(name,), translate_pixels=2)
    images, labels = epoch(dataset)
    shifts = [find_shift(image, x[label].astype(np.float32) / 255.0, 2) for image, label in zip(images, labels)]
    assert None not in shifts
    assert len(set(shifts)) > 5  # per image, not one shift per batch
    assert sum(shift != (0, 0) for shift in shifts) > 24


def test_erasing_changes_patches_at_its_rate():
    # Every erasing shows: on 8x8 images Keras's smallest patch side is
    # sqrt(0.02) * 8 > 1 pixel, so a patch covers at least one pixel, and its
    # noise (clipped to [0, 1]) never equals a pixel strictly inside (0, 1).
    x = np.random.default_rng(0).integers(1, 255, size=(MANY, 8, 8, 1), dtype=np.uint8)
    y = np.arange(MANY)
    kwargs = dict(batch_size=2048, training=True, num_classes=MANY, augment=("erasing",), seed=2)

    def erased(rate):
        images, labels = epoch(make_dataset(x, y, erasing_rate=rate, **kwargs))
        assert 0.0 <= images.min() and images.max() <= 1.0
        return np.any(images != x[labels].astype(np.float32) / 255.0, axis=(1, 2, 3))

    assert erased(1.0).all()
    assert abs(erased(0.5).mean() - 0.5) < 0.025  # 16,384 images: standard error 0.0039
    images, labels = epoch(make_dataset(x, y, erasing_rate=0.0, **kwargs))
    np.testing.assert_array_equal(images, x[labels].astype(np.float32) / 255.0)


@pytest.mark.parametrize(
    "mix", [{"mixup_alpha": 0.4}, {"cutmix_alpha": 1.0}, {"mixup_alpha": 0.4, "cutmix_alpha": 1.0}]
)
def test_mixing_gives_soft_one_hot_labels(mix):
    x, y = indexed_images(n=64)
    dataset = make_dataset(x, y % 4, batch_size=32, training=True, num_classes=4, augment=("flip",), **mix)
    assert dataset.element_spec[1].shape.as_list() == [None, 4]
    images, labels = epoch(dataset)
    assert labels.dtype == np.float32 and labels.shape == (64, 4)
    np.testing.assert_allclose(labels.sum(axis=1), 1.0, rtol=1e-5)
    assert ((labels > 0.01) & (labels < 0.99)).any()  # mixed
    assert 0.0 <= images.min() and images.max() <= 1.0


def test_mixup_weighs_images_and_labels_alike_with_a_beta_weight():
    """Each example is lam * itself + (1 - lam) * a partner, images and one-hot labels alike, lam ~ Beta(a, a)."""
    n, classes, alpha = 32768, 16, 0.4
    rng = np.random.default_rng(0)
    class_images = rng.integers(1, 256, size=(classes, 4, 4, 3), dtype=np.uint8)
    y = rng.integers(0, classes, size=n)
    x = class_images[y]  # an image is its class's image, so a mixed image is the mix of two class images
    kwargs = dict(batch_size=4096, training=True, epochs=1, seed=3)
    images, labels = epoch(make_dataset(x, y, num_classes=classes, mixup_alpha=alpha, **kwargs))
    # The example order is a function of (seed, epoch): the same pipeline
    # without mixing gives it, as the example indices.
    order = epoch(make_dataset(x, np.arange(n), **kwargs))[1]
    assert sorted(order.tolist()) == list(range(n))
    images = images.reshape(n, -1).astype(np.float64)
    references = class_images.reshape(classes, -1).astype(np.float64) / 255.0

    # Per example, the image is the label-weighted mix of the class images:
    # the images' weight is the labels' weight, exactly (to float32 rounding).
    np.testing.assert_allclose(images, labels @ references, rtol=0, atol=1e-5)
    own = y[order]
    weight = labels[np.arange(n), own].astype(np.float64)  # lam, the weight of the example itself
    two = (labels > 0).sum(axis=1) == 2  # rows whose partner has another class (else lam is invisible)
    assert two.mean() > 0.9
    np.testing.assert_allclose(weight[~two], 1.0, rtol=1e-6)
    # The images' weight of each example, solved from the image and the two class images.
    partner = np.argmax(np.where(np.arange(classes) == own[:, None], -1.0, labels), axis=1)[two]
    mine, theirs = references[own[two]], references[partner]
    image_weight = np.sum((images[two] - theirs) * (mine - theirs), axis=1) / np.sum((mine - theirs) ** 2, axis=1)
    np.testing.assert_allclose(image_weight, weight[two], rtol=0, atol=1e-5)

    # lam ~ Beta(a, a), over ~30,700 mixed examples: its mean, 1/2 (standard
    # deviation 0.37, so standard error 0.0021; tolerance 0.025, a tenth of
    # 0.5 halved), and E[lam (1 - lam)] = a / (2 (2a + 1)) (standard deviation
    # 0.090, standard error 0.0005; tolerance 0.003, half the change a 10 %
    # larger or smaller alpha makes).
    lam = weight[two]
    assert abs(lam.mean() - 0.5) < 0.025
    assert abs((lam * (1 - lam)).mean() - alpha / (2 * (2 * alpha + 1))) < 0.003


EVERY_AUGMENTATION = dict(augment=("flip", "translate", "erasing"), erasing_rate=0.5, mixup_alpha=0.2, cutmix_alpha=0.5)


@pytest.mark.parametrize("augment", [EVERY_AUGMENTATION, dict(augment=("crop", "flip"))])
def test_a_seed_repeats_shuffle_and_augmentations_bit_for_bit(augment):
    x, y = indexed_images(n=64)
    kwargs = dict(batch_size=16, training=True, num_classes=64, seed=7, **augment)
    first, second = (epoch(make_dataset(x, y, **kwargs)) for _ in range(2))
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    other = epoch(make_dataset(x, y, **{**kwargs, "seed": 8}))
    assert not np.array_equal(first[0], other[0])


def test_a_pipeline_started_at_a_later_epoch_gives_that_epochs_batches():
    # What --resume relies on: epochs 2..3 alone equal epochs 2..3 of a 0..3 pipeline.
    x, y = indexed_images(n=40)
    kwargs = dict(batch_size=16, training=True, num_classes=40, seed=5, **EVERY_AUGMENTATION)
    whole = batches(make_dataset(x, y, epochs=4, **kwargs))
    assert len(whole) == 4 * 3  # 3 batches (16, 16, 8) per epoch
    resumed = batches(make_dataset(x, y, epochs=4, first_epoch=2, **kwargs))
    assert len(resumed) == 2 * 3
    for (images, labels), (images_again, labels_again) in zip(whole[6:], resumed):
        np.testing.assert_array_equal(images, images_again)
        np.testing.assert_array_equal(labels, labels_again)
    # Each epoch is a new permutation of all examples.
    plain = batches(make_dataset(x, y, epochs=4, batch_size=16, training=True, num_classes=40, seed=5))
    orders = [np.concatenate([labels for _, labels in plain[3 * e : 3 * e + 3]]) for e in range(4)]
    assert all(sorted(order.tolist()) == list(range(40)) for order in orders)
    assert len({tuple(order) for order in orders}) == 4


def test_each_iteration_of_a_one_epoch_pipeline_is_the_next_epoch_and_repeats_with_the_seed():
    x, y = indexed_images()
    kwargs = dict(batch_size=8, training=True, num_classes=N, seed=11, augment=("flip",))
    dataset, again = (make_dataset(x, y, **kwargs) for _ in range(2))
    first, second = epoch(dataset), epoch(dataset)
    assert first[1].tolist() != second[1].tolist()
    np.testing.assert_array_equal(epoch(again)[0], first[0])
    np.testing.assert_array_equal(epoch(again)[0], second[0])


def test_translation_shifts_rows_and_columns_independently():
    # One seed reused for both draws would shift every image diagonally (dy == dx).
    x, y = indexed_images(n=200)
    images, labels = epoch(make_dataset(x, y, batch_size=50, training=True, num_classes=200, augment=("translate",),
                                        translate_pixels=2, seed=0))  # fmt: skip
    shifts = [find_shift(image, x[label].astype(np.float32) / 255.0, 2) for image, label in zip(images, labels)]
    assert None not in shifts
    assert np.mean([dy == dx for dy, dx in shifts]) < 0.4  # independent: 5 of 25 shifts, 0.2
    assert len(set(shifts)) == 25


def test_trains_a_model_with_a_categorical_loss():
    x, y = indexed_images(n=32)
    dataset = make_dataset(x, y % 2, batch_size=8, training=True, num_classes=2, augment=("flip", "translate"),
                           cutmix_alpha=1.0)  # fmt: skip
    model = keras.Sequential([keras.Input((SIDE, SIDE, 3)), keras.layers.Flatten(), keras.layers.Dense(2)])
    model.compile("sgd", keras.losses.CategoricalCrossentropy(from_logits=True))
    history = model.fit(dataset, epochs=1, verbose=0, shuffle=False)
    assert np.isfinite(history.history["loss"][0])


def test_grayscale_images():
    x, y = indexed_images(channels=1)
    images, _ = epoch(make_dataset(x, y, batch_size=8, training=True, num_classes=N, augment=COMPATIBLE_AUGMENTATIONS,
                                   erasing_rate=0.5))  # fmt: skip
    assert images.shape == (N, SIDE, SIDE, 1)


def test_unknown_augmentation_names_the_name_and_the_allowed_ones():
    x, y = indexed_images()
    with pytest.raises(ValueError) as excinfo:
        make_dataset(x, y, batch_size=4, training=True, num_classes=N, augment=("flip", "rotate"))
    message = str(excinfo.value)
    assert message.startswith("Invalid value received for argument `augment`.")
    assert "'rotate' is not one of them" in message
    assert "'flip', 'alternating_flip', 'translate', 'crop', 'erasing'" in message


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"num_classes": 0}, "num_classes"),
        ({"training": 1}, "training"),
        ({"augment": ("flip", "flip")}, "augment"),
        ({"augment": ("flip", "alternating_flip"), "epochs": 2}, "augment"),
        ({"augment": ("alternating_flip",)}, "augment"),  # without epochs
        ({"translate_pixels": -1}, "translate_pixels"),
        ({"translate_pixels": SIDE, "augment": ("translate",)}, "translate_pixels"),
        ({"erasing_rate": 0.5}, "erasing_rate"),  # without "erasing" in augment
        ({"augment": ("erasing",), "erasing_rate": 1.5}, "erasing_rate"),
        ({"mixup_alpha": -0.1}, "mixup_alpha"),
        ({"cutmix_alpha": 1.5}, "cutmix_alpha"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 2, "first_epoch": 2}, "first_epoch"),
        ({"first_epoch": 1}, "first_epoch"),
        ({"epochs": 2, "training": False}, "epochs"),
        ({"seed": -1}, "seed"),
        ({"drop_remainder": "yes"}, "drop_remainder"),
        ({"epochs": 3, "progressive_size": 4}, "progressive_size"),  # without progressive_epochs
        ({"epochs": 3, "progressive_epochs": 1}, "progressive_epochs"),  # without progressive_size
        ({"epochs": 3, "progressive_size": -4, "progressive_epochs": 1}, "progressive_size"),
        ({"epochs": 3, "progressive_size": SIDE, "progressive_epochs": 1}, "progressive_size"),  # not smaller
        ({"epochs": 3, "progressive_size": 4, "progressive_epochs": 3}, "progressive_epochs"),  # no full-size epoch
        ({"progressive_size": 4, "progressive_epochs": 1}, "progressive_epochs"),  # without epochs
    ],
)
def test_invalid_arguments(kwargs, argument):
    x, y = indexed_images()
    arguments = {"batch_size": 4, "training": True, "num_classes": N, **kwargs}
    with pytest.raises(ValueError, match=f"Invalid value received for argument `{argument}`"):
        make_dataset(x, y, **arguments)


def test_the_image_size_bounds_translate_pixels_only_where_images_are_shifted():
    x, y = indexed_images()
    make_dataset(x, y, batch_size=4, training=True, translate_pixels=SIDE)  # nothing shifted: nothing to bound
    make_dataset(x.reshape(len(x), -1).astype("float32"), y, batch_size=4, training=True)  # features, not images


def test_invalid_arrays():
    x, y = indexed_images()
    with pytest.raises(ValueError, match="argument `augment`.*no augmentation.*not uint8 images"):
        make_dataset(x.astype("float32"), y, batch_size=4, training=True, augment=("flip",))
    with pytest.raises(ValueError, match="argument `x`.*numeric array"):
        make_dataset(np.array(["a"] * len(y)), y, batch_size=4, training=False)
    with pytest.raises(ValueError, match="argument `y`"):
        make_dataset(x, y[:-1], batch_size=4, training=False, num_classes=N)


def test_images_stay_float32_under_a_mixed_precision_policy():
    x, y = indexed_images()
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        dataset = make_dataset(x, y, batch_size=8, training=True, num_classes=N, augment=COMPATIBLE_AUGMENTATIONS,
                               erasing_rate=0.5, mixup_alpha=0.2)  # fmt: skip
        images, labels = epoch(dataset)
    finally:
        keras.config.set_dtype_policy(previous)
    assert images.dtype == np.float32 and labels.dtype == np.float32


def test_progressive_resizing_downscales_the_first_epochs_batches_as_pil_does():
    from PIL import Image

    x, y = indexed_images(n=40)
    kwargs = dict(batch_size=16, training=True, num_classes=40, seed=5, epochs=4, **EVERY_AUGMENTATION)
    full = batches(make_dataset(x, y, **kwargs))
    resized = batches(make_dataset(x, y, progressive_size=5, progressive_epochs=2, **kwargs))
    assert [images.shape[1:] for images, _ in resized] == [(5, 5, 3)] * 6 + [(SIDE, SIDE, 3)] * 6
    for (images, labels), (reference, reference_labels) in zip(resized, full):
        np.testing.assert_array_equal(labels, reference_labels)  # same examples, same mixing
        if images.shape[1] == SIDE:
            np.testing.assert_array_equal(images, reference)
            continue
        # PIL's bilinear reduction (a triangle filter widened by the scale) of each augmented channel.
        expected = np.stack([np.stack([np.asarray(Image.fromarray(image[:, :, c]).resize((5, 5), Image.Resampling.BILINEAR))
                                       for c in range(3)], axis=-1) for image in reference])  # fmt: skip
        np.testing.assert_allclose(images, expected, atol=1e-5)
    # Resumed in a downscaled epoch, it gives that epoch's batches.
    resumed = batches(make_dataset(x, y, progressive_size=5, progressive_epochs=2, first_epoch=1, **kwargs))
    for (images, _), (again, _) in zip(resized[3:], resumed):
        np.testing.assert_array_equal(images, again)
    # The static shape leaves height and width open: the model sees two sizes.
    spec = make_dataset(x, y, progressive_size=5, progressive_epochs=2, **kwargs).element_spec[0]
    assert tuple(spec.shape) == (None, None, None, 3)
