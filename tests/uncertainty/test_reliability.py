"""`plot_reliability_diagram`: PNG bytes, an atomic file, argument checks."""

import os

import numpy as np
import pytest

from kerasreg.uncertainty import plot_reliability_diagram

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _predictions(n=200, num_classes=3):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(n, num_classes)) * 3
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return probabilities, rng.integers(0, num_classes, n)


def _leftovers(folder):
    return [name for name in os.listdir(folder) if name.startswith(".tmp")]


def test_returns_png_bytes_without_a_path(tmp_path):
    png = plot_reliability_diagram(*_predictions(), num_bins=10, title="test")
    assert png.startswith(PNG_SIGNATURE) and len(png) > 1000
    assert os.listdir(tmp_path) == []


def test_writes_the_file_atomically(tmp_path):
    target = tmp_path / "reliability.png"
    target.write_bytes(b"old")
    png = plot_reliability_diagram(*_predictions(), path=target)
    assert target.read_bytes() == png
    assert png.startswith(PNG_SIGNATURE)
    assert _leftovers(tmp_path) == []


def test_empty_bins_are_drawn(tmp_path):
    # Every confidence is 1: fourteen of the fifteen bins are empty.
    png = plot_reliability_diagram(np.eye(2)[[0, 1]], [0, 1], path=str(tmp_path / "one.png"))
    assert png.startswith(PNG_SIGNATURE)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"path": "diagram.jpg"}, "path='diagram.jpg'"),
        ({"path": 3}, "path=3"),
        ({"num_bins": 0}, "num_bins=0"),
        ({"title": 5}, "title=5"),
        ({"labels": [0, 1]}, "labels with shape (2,)"),
    ],
)
def test_invalid_arguments(tmp_path, kwargs, message):
    probabilities, labels = _predictions(n=4)
    arguments = {"probabilities": probabilities, "labels": labels, "path": str(tmp_path / "x.png")}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match="Invalid value received for argument") as info:
        plot_reliability_diagram(**arguments)
    assert message in str(info.value)
    assert os.listdir(tmp_path) == []
