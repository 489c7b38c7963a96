"""Partial identity ("dirac") initialization: the kernel, the convolutions it reaches, and what they compute."""

import keras
import numpy as np
import pytest

from kerasreg.architectures import Regularization, build_model, identity_initialize, partial_identity_kernel


def test_kernel_first_filters_pass_their_channel_through_the_rest_keep_their_values():
    kernel = np.random.default_rng(0).normal(size=(3, 3, 4, 6)).astype("float32")
    result = partial_identity_kernel(kernel)
    for i in range(4):
        expected = np.zeros((3, 3, 4))
        expected[1, 1, i] = 1
        np.testing.assert_array_equal(result[..., i], expected)
    np.testing.assert_array_equal(result[..., 4:], kernel[..., 4:])
    # More inputs than outputs: every filter is an identity of one input channel.
    assert partial_identity_kernel(np.ones((3, 3, 5, 2))).sum() == 2


def test_even_kernels_are_refused():
    with pytest.raises(ValueError, match=r"Expected odd spatial sizes. Received: kernel.shape=\(2, 2, 3, 24\)"):
        partial_identity_kernel(np.zeros((2, 2, 3, 24)))


def test_airbench_convolutions_start_as_identities_the_stem_untouched():
    model = build_model("airbench", input_shape=(32, 32, 3), num_classes=10, regularization=Regularization(), seed=0)
    stem = keras.ops.convert_to_numpy(model.get_layer("stem").kernel).copy()
    changed = identity_initialize(model)
    assert changed == [f"block{b}_conv{c}" for b in (1, 2, 3) for c in (1, 2)]
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model.get_layer("stem").kernel), stem)
    # block2_conv2 maps 256 channels to 256: the whole convolution is the identity.
    conv = model.get_layer("block2_conv2")
    x = np.random.default_rng(1).normal(size=(2, 7, 7, 256)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(conv(x)), x, rtol=1e-6, atol=1e-6)
    # block1_conv1 maps 24 to 64: the first 24 outputs copy the input, the others do not.
    conv = model.get_layer("block1_conv1")
    x = np.random.default_rng(2).normal(size=(2, 9, 9, 24)).astype("float32")
    y = keras.ops.convert_to_numpy(conv(x))
    np.testing.assert_allclose(y[..., :24], x, rtol=1e-6, atol=1e-6)
    assert np.abs(y[..., 24:]).mean() > 0.1
