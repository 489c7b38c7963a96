"""The fast net: airbench's shape at a CPU budget."""

import keras
import numpy as np
import pytest

from kerasreg.architectures import Regularization, build_model, estimate_flops
from tests.architectures.harness import GRAY, NUM_CLASSES, RGB, images


def _fast(shape=RGB, **arguments):
    return build_model("fast", input_shape=shape, num_classes=NUM_CLASSES, regularization=Regularization(), **arguments)


def test_budget_and_widths():
    model = _fast()
    assert estimate_flops(model) == 37_849_600  # multiply-adds; <= 100 MFLOP even counted twice
    assert 2 * estimate_flops(_fast(GRAY)) < 100e6
    assert model.count_params() == 1_979_904
    assert [model.get_layer(f"block{b}_conv2").filters for b in (1, 2, 3)] == [64, 256, 256]
    assert model.get_layer("stem").output.shape == (None, 16, 16, 32)
    assert model.get_layer("block3_conv2").output.shape == (None, 2, 2, 256)


def test_width_scales_the_blocks():
    model = _fast(width=16)
    assert [model.get_layer(f"block{b}_conv1").filters for b in (1, 2, 3)] == [16, 64, 64]
    assert model.get_layer("stem").filters == 8


def test_logits_are_the_scaled_bias_free_classifier():
    model = _fast(width=4)
    assert not model.get_layer("classifier").use_bias
    x = images()
    features = model.get_layer("global_pool").output
    unscaled = keras.Model(model.inputs, model.get_layer("classifier").output)
    np.testing.assert_allclose(model.predict(x, verbose=0), unscaled.predict(x, verbose=0) / 9.0, rtol=1e-5, atol=1e-6)
    assert features.shape == (None, 16)


def test_depth_is_fixed():
    with pytest.raises(ValueError, match="Received: depth=2"):
        _fast(depth=2)
