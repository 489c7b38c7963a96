"""Image-folder trees: ``train/<class>/*`` and ``test/<class>/*`` image files.

The class order is the sorted order of the folder names under ``train/``
(CIFAR-10's folders sort into its label order); ``test/`` may hold fewer
classes but no others. Files ending in ``.jpg``, ``.jpeg`` or ``.png`` (any
case) are images; other files are skipped. All images must have one size;
grayscale images become one channel, colour (and palette, RGBA, CMYK)
images three, and a tree mixing the two is read as RGB. Decoding uses
Pillow.
"""

import numpy as np

from kerasreg.data.errors import DataError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
SPLITS = ("train", "test")

_GRAY_MODES = ("1", "L", "LA", "I", "I;16", "F")
_EXPECTED = "expected train/<class>/*.jpg|.jpeg|.png and test/<class>/* image files"


def is_image_folder(tree):
    """Whether the `FileTree` ``tree`` has a ``train/`` or ``test/`` folder."""
    return any(split in tree.folders() for split in SPLITS)


def list_images(tree):
    """``(class_names, {split: [(relative_path, label), ...]})`` of an image-folder tree.

    Raises:
        DataError: a split is missing or holds no images, or ``test/`` has
            a class that ``train/`` has not.
    """
    splits = {}
    for split in SPLITS:
        if split not in tree.folders():
            raise DataError(f"The image folder {tree.label} has no {split}/ split; {_EXPECTED}.")
        splits[split] = {}
        for path in tree.files:
            parts = path.split("/")
            if len(parts) == 3 and parts[0] == split and parts[2].lower().endswith(IMAGE_SUFFIXES):
                splits[split].setdefault(parts[1], []).append(path)
        if not splits[split]:
            raise DataError(f"The image folder {tree.name(split)} holds no images; {_EXPECTED}.")
    class_names = tuple(sorted(splits["train"]))
    unknown = sorted(set(splits["test"]) - set(class_names))
    if unknown:
        raise DataError(
            f"The image folder {tree.name('test')} has classes {', '.join(unknown)} that train/ has no "
            "images of; expected the test classes to be train classes."
        )
    files = {
        split: [
            (path, label)
            for label, name in enumerate(class_names)
            for path in sorted(splits[split].get(name, ()))
        ]
        for split in SPLITS
    }
    return class_names, files


def read_image_folder(tree):
    """Decode an image-folder `FileTree` into the arrays of a `Dataset`.

    Returns:
        A dict with ``x_train``, ``y_train``, ``x_test``, ``y_test`` (uint8
        NHWC images, int64 labels) and ``class_names``.
    """
    class_names, files = list_images(tree)
    train, test = files["train"], files["test"]
    images = decode_images(tree, [path for path, _ in train + test])
    labels = np.asarray([label for _, label in train + test], dtype=np.int64)
    return {
        "x_train": images[: len(train)],
        "y_train": labels[: len(train)],
        "x_test": images[len(train) :],
        "y_test": labels[len(train) :],
        "class_names": class_names,
    }


def decode_images(tree, paths):
    """Decode the image files ``paths`` of ``tree`` into one uint8 NHWC array.

    Colour in any image makes the whole array RGB; images of different
    sizes raise `DataError`.
    """
    first = _decode(tree, paths[0])
    images = np.empty((len(paths), *first.shape), dtype=np.uint8)
    for index, path in enumerate(paths):
        image = _decode(tree, path) if index else first
        if image.shape[:2] != images.shape[1:3]:
            height, width = images.shape[1:3]
            raise DataError(
                f"The image {tree.name(path)} is {image.shape[1]}x{image.shape[0]} pixels but "
                f"{tree.name(paths[0])} is {width}x{height}; expected all images to have one size "
                "(resize them first)."
            )
        if image.shape[2] != images.shape[3]:
            if image.shape[2] == 1:
                image = _to_rgb(image)
            else:  # The first colour image: everything read so far becomes RGB.
                images = _to_rgb(images)
        images[index] = image
    return images


def _decode(tree, path):
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise DataError(f"Decoding the images of {tree.label} needs Pillow: pip install pillow") from None
    try:
        with tree.open(path) as file, Image.open(file) as image:
            mode = "L" if image.mode in _GRAY_MODES else "RGB"
            pixels = np.asarray(image.convert(mode), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        # UnidentifiedImageError's text names a BytesIO object: say it plainly.
        reason = "unknown or damaged image data" if isinstance(error, UnidentifiedImageError) else error
        message = f"Cannot decode the image {tree.name(path)}: {reason}; expected a JPEG or PNG file."
        raise DataError(message) from None
    return pixels[..., None] if pixels.ndim == 2 else pixels


def _to_rgb(images):
    return np.repeat(images, 3, axis=-1) if images.shape[-1] == 1 else images
