"""`open_set_split`: the known classes relabelled in the order given, the others' test images as the OOD set."""

import numpy as np
import pytest

from kerasreg.data import ArrayData, Dataset, open_set_split


def _images(labels, offset):
    # Each image is filled with its row number (plus ``offset``), so rows can be traced through the split.
    rows = np.arange(len(labels)) + offset
    return np.broadcast_to(rows[:, None, None, None], (len(labels), 2, 2, 1)).astype(np.uint8)


def _dataset(classes=5):
    y_train = np.arange(40, dtype=np.int64) % classes
    y_test = np.array([4, 0, 3, 1, 2, 4, 2, 0, 1, 3], dtype=np.int64) % classes
    names = tuple("abcdefghij"[:classes])
    return Dataset(_images(y_train, 0), y_train, _images(y_test, 100), y_test, names, "tiny")


def test_known_classes_are_relabelled_in_the_order_given_and_the_others_are_the_ood_set():
    data = _dataset()
    known, ood = open_set_split(data, [3, 0, 4])
    assert isinstance(known, Dataset) and known.source == "tiny"
    assert known.class_names == ("d", "a", "e") and known.num_classes == 3
    for split in ("train", "test"):
        x, y = getattr(data, f"x_{split}"), getattr(data, f"y_{split}")
        kept = np.isin(y, [3, 0, 4])
        np.testing.assert_array_equal(getattr(known, f"x_{split}"), x[kept])
        expected = np.select([y[kept] == 3, y[kept] == 0, y[kept] == 4], [0, 1, 2])
        np.testing.assert_array_equal(getattr(known, f"y_{split}"), expected)
        assert getattr(known, f"y_{split}").dtype == np.int64
    assert len(known.x_train) == 24 and len(known.x_test) == 6
    # Exactly the test images of classes 1 and 2, in their order; no training image of them anywhere.
    np.testing.assert_array_equal(ood, data.x_test[np.isin(data.y_test, [1, 2])])
    assert ood[:, 0, 0, 0].tolist() == [103, 104, 106, 108] and ood.dtype == np.uint8


def test_array_data_of_any_dtype_keeps_its_type_and_label_dtype():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 3)).astype("float32"), (np.arange(30) % 4).astype("int32")
    data = ArrayData(x, y, x[:12], y[:12], class_names=["cat", "dog", "eel", "fox"], source="tab")
    known, ood = open_set_split(data, [1, 2])
    assert isinstance(known, ArrayData) and known.class_names == ("dog", "eel") and known.source == "tab"
    assert known.y_train.dtype == np.int32 and sorted(set(known.y_train.tolist())) == [0, 1]
    np.testing.assert_array_equal(known.x_test, x[:12][np.isin(y[:12], [1, 2])])
    assert ood.dtype == np.float32 and len(ood) == 6
    np.testing.assert_array_equal(ood, x[:12][np.isin(y[:12], [0, 3])])


def test_without_a_test_split_there_is_no_ood_set():
    known, ood = open_set_split(ArrayData(np.zeros((9, 2)), np.arange(9) % 3), [0, 2])
    assert ood is None and known.x_test is None and known.y_train.tolist() == [0, 1, 0, 1, 0, 1]


@pytest.mark.parametrize(
    "known_classes, expected",
    [
        ([0, 5], "class indices in [0, 4] (tiny has 5 classes)"),
        ([-1, 2], "class indices in [0, 4] (tiny has 5 classes)"),
        ([0, 1, 2, 3, 4], "at most 4 of the 5 classes of tiny, so that some are left out"),
        ([1, 1, 2], "distinct class indices"),
        ([2], "at least 2 class indices (a classifier needs 2 classes)"),
        ([0, 1.0], "a list of integer class indices"),
        ([0, True], "a list of integer class indices"),
        ("ab", "a list of class indices"),
    ],
)
def test_bad_known_classes_name_the_value_and_what_is_allowed(known_classes, expected):
    with pytest.raises(ValueError) as error:
        open_set_split(_dataset(), known_classes)
    assert str(error.value) == (f"Invalid value received for argument `known_classes`. Expected {expected}. "
                                f"Received: known_classes={known_classes!r}")  # fmt: skip


def test_data_without_integer_class_labels_is_refused():
    data = ArrayData(np.zeros((6, 2)), np.linspace(0, 1, 6).astype("float32"), source="regression")
    with pytest.raises(ValueError, match=r"Expected \[\] for data without integer class labels \(the labels of "
                                         r"regression are float32 of shape \(\) per example\)"):  # fmt: skip
        open_set_split(data, [0, 1])
