"""Patch whitening: outputs decorrelated to unit variance; the stem frozen."""

import keras
import numpy as np
import pytest

from kerasreg.architectures import Regularization, build_model, patch_whitening, whiten_stem
from tests.architectures.harness import NUM_CLASSES, RGB


def _correlated_images(n=200, size=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, size, size, 3))
    x[..., 1] = 0.7 * x[..., 0] + 0.3 * x[..., 1]  # correlated channels
    x[:, 1:] = 0.5 * x[:, 1:] + 0.5 * x[:, :-1]  # correlated neighbours
    return 0.2 + 0.5 * x


def _patches(images, size=2):
    windows = np.lib.stride_tricks.sliding_window_view(images, (size, size), axis=(1, 2))
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(-1, size * size * images.shape[-1])


def test_outputs_are_centred_uncorrelated_with_unit_variance():
    images = _correlated_images()
    kernel, bias = patch_whitening(images, kernel_size=2, epsilon=1e-9)
    assert kernel.shape == (2, 2, 3, 24) and bias.shape == (24,)
    out = _patches(images) @ kernel.reshape(12, 24) + bias
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(np.cov(out[:, :12], rowvar=False, bias=True), np.eye(12), atol=1e-3)
    np.testing.assert_allclose(out[:, 12:], -out[:, :12], atol=1e-5)  # the negated half


def test_filters_are_ordered_by_variance_and_epsilon_shrinks_the_noisy_ones():
    images = _correlated_images()
    patches = _patches(images)
    eigenvalues = np.linalg.eigvalsh(np.cov(patches, rowvar=False, bias=True))[::-1]
    epsilon = 0.1
    kernel, _ = patch_whitening(images, kernel_size=2, epsilon=epsilon)
    norms = np.linalg.norm(kernel.reshape(12, 24)[:, :12], axis=0)
    # Filter i is a unit eigenvector divided by sqrt(lambda_i + epsilon * mean(lambda)).
    np.testing.assert_allclose(norms, 1 / np.sqrt(eigenvalues + epsilon * eigenvalues.mean()), rtol=1e-4)


def test_a_conv2d_with_the_weights_computes_the_same_as_the_formula():
    images = _correlated_images(n=16).astype("float32")
    kernel, bias = patch_whitening(images)
    conv = keras.layers.Conv2D(24, 2)
    conv.build(images.shape)
    conv.set_weights([kernel, bias])
    expected = _patches(images) @ kernel.reshape(12, 24) + bias
    np.testing.assert_allclose(np.asarray(conv(images)).reshape(-1, 24), expected, rtol=1e-4, atol=1e-4)


def test_pixel_scale_does_not_change_the_outputs():
    images = _correlated_images()
    kernel, bias = patch_whitening(images)
    kernel255, bias255 = patch_whitening(255 * images)
    patches = _patches(images)
    np.testing.assert_allclose(
        patches @ kernel.reshape(12, 24) + bias, 255 * patches @ kernel255.reshape(12, 24) + bias255, rtol=1e-3, atol=1e-3
    )


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"kernel_size": 0}, "kernel_size=0"),
        ({"epsilon": 0.0}, "epsilon=0.0"),
        ({"images": np.zeros((4, 1, 1, 3))}, r"images=\(4, 1, 1, 3\)"),
    ],
)
def test_bad_arguments_are_named(arguments, message):
    arguments = {"images": np.zeros((4, 8, 8, 3)), **arguments}
    with pytest.raises(ValueError, match=message):
        patch_whitening(**arguments)


def test_whiten_stem_freezes_the_stem_through_training():
    model = build_model("airbench", input_shape=RGB, num_classes=NUM_CLASSES, regularization=Regularization(), width=4, seed=0)
    images = np.random.default_rng(0).random((32,) + RGB).astype("float32")
    stem = whiten_stem(model, images)
    kernel, bias = patch_whitening(images)
    assert not stem.trainable
    assert all(v.path.split("/")[0] != "stem" for v in model.trainable_variables)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(images, np.arange(32) % NUM_CLASSES, batch_size=8, epochs=1, verbose=0)
    np.testing.assert_array_equal(stem.get_weights()[0], kernel)
    np.testing.assert_array_equal(stem.get_weights()[1], bias)


def test_whiten_stem_refuses_a_stem_of_the_wrong_shape():
    model = build_model("fast", input_shape=RGB, num_classes=NUM_CLASSES, regularization=Regularization(), width=4)
    with pytest.raises(ValueError, match="stride-1 'valid' Conv2D"):
        whiten_stem(model, np.zeros((4,) + RGB))
