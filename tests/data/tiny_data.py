"""Tiny data sets written in the real on-disk formats, for the data tests."""

import pickle
import tarfile

import numpy as np
from PIL import Image

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def write_cifar_batches(folder, per_batch=4, num_test=6, side=32, seed=0):
    """A ``cifar-10-batches-py`` folder as in cifar-10-python.tar.gz; returns the expected NHWC arrays."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)

    def batch(name, count):
        images = rng.integers(0, 256, size=(count, side, side, 3), dtype=np.uint8)
        labels = rng.integers(0, 10, size=count)
        rows = images.transpose(0, 3, 1, 2).reshape(count, -1)  # red plane, green plane, blue plane
        content = {b"batch_label": name.encode(), b"labels": labels.tolist(), b"data": rows,
                   b"filenames": [f"{i}.png".encode() for i in range(count)]}  # fmt: skip
        with open(folder / name, "wb") as file:
            pickle.dump(content, file, protocol=2)
        return images, labels

    train = [batch(f"data_batch_{k}", per_batch) for k in range(1, 6)]
    x_test, y_test = batch("test_batch", num_test)
    meta = {
        b"num_cases_per_batch": per_batch,
        b"label_names": [name.encode() for name in CIFAR10_CLASSES],
        b"num_vis": 3072,
    }
    with open(folder / "batches.meta", "wb") as file:
        pickle.dump(meta, file, protocol=2)
    (folder / "readme.html").write_text("<html></html>")
    return {
        "x_train": np.concatenate([x for x, _ in train]),
        "y_train": np.concatenate([y for _, y in train]),
        "x_test": x_test,
        "y_test": y_test,
    }


def write_image_tree(folder, classes=("dog", "ant", "cat"), counts=None, size=(6, 5), seed=0):
    """``train/<class>/*`` and ``test/<class>/*`` PNG and JPEG files; returns the expected arrays.

    Images are ``size`` = (width, height). PNG images are random noise (and
    come back exactly); JPEG images are one flat colour (and come back
    within a few levels). Class order of the expected labels is sorted.
    """
    rng = np.random.default_rng(seed)
    counts = counts or {"train": 3, "test": 2}
    width, height = size
    expected = {}
    for split, count in counts.items():
        images, labels, lossy = [], [], []
        for label, name in enumerate(sorted(classes)):
            (folder / split / name).mkdir(parents=True, exist_ok=True)
            for i in range(count):
                if i % 2 == 0:
                    pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
                    Image.fromarray(pixels).save(folder / split / name / f"{i:04d}.png")
                else:
                    colour = rng.integers(20, 236, size=3, dtype=np.uint8)
                    pixels = np.broadcast_to(colour, (height, width, 3)).copy()
                    Image.fromarray(pixels).save(folder / split / name / f"{i:04d}.JPG", quality=95)
                images.append(pixels)
                labels.append(label)
                lossy.append(i % 2 == 1)
        expected[f"x_{split}"] = np.stack(images)
        expected[f"y_{split}"] = np.asarray(labels)
        expected[f"lossy_{split}"] = np.asarray(lossy)
    (folder / "train" / sorted(classes)[0] / ".DS_Store").write_bytes(b"\0junk")
    (folder / "train" / sorted(classes)[0] / "notes.txt").write_text("not an image")
    return expected


def make_tar(folder, archive, arcname):
    """Pack ``folder`` into the gzipped tar ``archive`` under the top folder ``arcname``."""
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname=arcname)
    return archive


def assert_images_match(actual, expected, lossy):
    """Exact for lossless images, within a few levels for the flat-colour JPEGs."""
    np.testing.assert_array_equal(actual[~lossy], expected[~lossy])
    difference = np.abs(actual[lossy].astype(int) - expected[lossy].astype(int))
    assert difference.max(initial=0) <= 4
