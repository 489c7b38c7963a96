"""`split_validation` and `default_validation_size`."""

import numpy as np
import pytest

from kerasreg.data import default_validation_size, split_validation


def data(n=200, classes=4):
    x = np.arange(n * 2).reshape(n, 2)
    y = np.random.default_rng(0).permutation(np.arange(n) % classes)
    return x, y


@pytest.mark.parametrize("size, count", [(50, 50), (1, 1), (199, 199), (0.25, 50), (0.001, 1), (0.999, 199)])
def test_sizes(size, count):
    x, y = data()
    x_train, y_train, x_val, y_val = split_validation(x, y, size, seed=0)
    assert len(x_val) == len(y_val) == count
    assert len(x_train) == len(y_train) == 200 - count


def test_disjoint_complete_and_aligned():
    x, y = data()
    x_train, y_train, x_val, y_val = split_validation(x, y, 0.3, seed=1)
    rows = np.concatenate([x_train[:, 0], x_val[:, 0]]) // 2
    assert sorted(rows.tolist()) == list(range(200))  # every example once
    assert (np.diff(x_train[:, 0]) > 0).all() and (np.diff(x_val[:, 0]) > 0).all()  # original order kept
    np.testing.assert_array_equal(y[x_train[:, 0] // 2], y_train)
    np.testing.assert_array_equal(y[x_val[:, 0] // 2], y_val)


def test_seeded():
    x, y = data()
    first = split_validation(x, y, 40, seed=5)
    again = split_validation(x, y, 40, seed=5)
    other = split_validation(x, y, 40, seed=6)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert set(first[2][:, 0]) != set(other[2][:, 0])


def test_stratified():
    x = np.arange(1000)
    y = np.repeat([0, 1, 2], [700, 200, 100])
    *_, y_val = split_validation(x, y, 100, seed=0)
    assert np.bincount(y_val).tolist() == [70, 20, 10]


def test_default_validation_size():
    assert default_validation_size(50000) == 5000
    assert default_validation_size(60000) == 5000
    assert default_validation_size(49999) == 4999
    assert default_validation_size(512) == 51
    assert default_validation_size(5) == 1
    assert default_validation_size(2) == 1


@pytest.mark.parametrize("size", [0, 200, 250, 0.0, 1.0, 1.5, -0.1, True, "10", None])
def test_invalid_size(size):
    x, y = data()
    with pytest.raises(ValueError, match="Invalid value received for argument `size`"):
        split_validation(x, y, size, seed=0)


def test_invalid_inputs():
    with pytest.raises(ValueError, match="argument `y`"):
        split_validation(np.zeros(5), np.zeros(4, int), 1, seed=0)
    with pytest.raises(ValueError, match="argument `x`"):
        split_validation(np.zeros(1), np.zeros(1, int), 1, seed=0)
    with pytest.raises(ValueError, match="argument `num_train`"):
        default_validation_size(1)
