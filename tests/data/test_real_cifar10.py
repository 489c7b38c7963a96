"""The CIFAR-10 JPEG copy in ../shared/data, when this checkout has one (about 10 s)."""

import time
from pathlib import Path

import numpy as np
import pytest

from kerasreg.data import default_validation_size, image_folder, load_dataset, split_validation
from tests.data.tiny_data import CIFAR10_CLASSES

ARCHIVE = Path(__file__).resolve().parents[2].parent / "shared/data/cifar10-jpeg.tar.gz"


@pytest.mark.skipif(not ARCHIVE.exists(), reason=f"{ARCHIVE} is not here")
def test_cifar10_jpeg_copy(tmp_path, monkeypatch):
    start = time.perf_counter()
    data = load_dataset(ARCHIVE, cache_dir=tmp_path)
    decoded = time.perf_counter() - start
    assert data.x_train.shape == (50000, 32, 32, 3) and data.x_test.shape == (10000, 32, 32, 3)
    assert data.class_names == CIFAR10_CLASSES
    assert np.bincount(data.y_train).tolist() == [5000] * 10
    assert np.bincount(data.y_test).tolist() == [1000] * 10
    assert 100 < data.x_train.mean() < 140  # real photographs, not blank decodes

    x_train, y_train, x_val, y_val = split_validation(
        data.x_train, data.y_train, default_validation_size(len(data.x_train)), seed=0
    )
    assert len(x_train) == 45000 and len(x_val) == 5000
    assert np.bincount(y_val).tolist() == [500] * 10

    monkeypatch.setattr(image_folder, "read_image_folder", lambda tree: pytest.fail("decoded twice"))
    start = time.perf_counter()
    cached = load_dataset(ARCHIVE, cache_dir=tmp_path)
    from_cache = time.perf_counter() - start
    np.testing.assert_array_equal(cached.x_test, data.x_test)
    assert from_cache < decoded / 4, (decoded, from_cache)
    print(f"CIFAR-10 JPEG copy: decoded in {decoded:.1f} s, loaded from the cache in {from_cache:.2f} s")
    for entry in tmp_path.glob("*.npz"):  # 185 MB: do not leave it in pytest's kept tmp folders
        entry.unlink()
