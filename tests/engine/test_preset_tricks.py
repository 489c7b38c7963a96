"""The cpu preset's tricks reach the model: each check fails when its trick is silently switched off."""

import keras
import numpy as np
import pytest

from kerasreg import engine, internals
from kerasreg.recipes.cifar import EXPERIMENT

# The cpu preset, on 256 synthetic images so that preparing it takes seconds
# (a batch of 128: the preset's 256 is more than that training split holds).
SMALL = {"data.source": "synthetic", "data.synthetic_examples": 256, "training.epochs": 1, "training.batch_size": 128}


def prepared(**changes):
    values = {**SMALL, **{k.replace("__", "."): v for k, v in changes.items()}}
    config = EXPERIMENT.resolve(values, preset="cpu", log=lambda *_: None)
    return engine.prepare(config, EXPERIMENT)


@pytest.fixture(scope="module")
def preset():
    return prepared(training__mixed_precision="mixed_bfloat16")


@pytest.fixture(scope="module")
def plain():
    return prepared(model__whitening=False, model__identity_init=False, training__label_smoothing=0.0,
                    training__mixed_precision="none")  # fmt: skip


def convolutions(model):
    return [layer for layer in internals.flatten_layers(model) if isinstance(layer, keras.layers.Conv2D)]


def smoothed_cross_entropy(labels, logits, smoothing, classes):
    one_hot = np.eye(classes)[labels] if labels.ndim == 1 else labels
    target = one_hot * (1 - smoothing) + smoothing / classes
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(np.mean(-(target * log_softmax).sum(axis=1)))


def _loss_on_a_batch(run):
    _, y = next(iter(run.validation))
    labels = np.asarray(y)
    # Confident logits, where smoothing changes the loss a lot.
    logits = np.random.default_rng(0).normal(size=(len(labels), 10)) * 4.0
    got = float(keras.ops.convert_to_numpy(run.model.loss(y, keras.ops.convert_to_tensor(logits, "float32"))))
    return got, labels, logits


def test_label_smoothing_reaches_the_loss(preset, plain):
    assert preset.config.training.label_smoothing == 0.2
    for run, smoothing in ((preset, 0.2), (plain, 0.0)):
        got, labels, logits = _loss_on_a_batch(run)
        assert got == pytest.approx(smoothed_cross_entropy(labels, logits, smoothing, 10), rel=1e-5)
    got, labels, logits = _loss_on_a_batch(preset)
    assert abs(got - smoothed_cross_entropy(labels, logits, 0.0, 10)) > 0.05, "the smoothing changes the loss"


def test_mixed_bfloat16_computes_in_bfloat16_with_float32_weights(preset, plain):
    for conv in convolutions(preset.model):
        assert (conv.compute_dtype, conv.variable_dtype) == ("bfloat16", "float32"), conv.name
    x, _ = next(iter(preset.validation))
    assert keras.backend.standardize_dtype(preset.model(x).dtype) == "float32"  # the logits, for the loss
    assert {conv.compute_dtype for conv in convolutions(plain.model)} == {"float32"}


def _stem_output_covariance(run):
    stem = convolutions(run.model)[0]
    x = np.concatenate([np.asarray(x) for x, _ in run.validation]).astype("float32")
    patches = keras.ops.convert_to_numpy(keras.ops.cast(stem(x), "float32")).astype("float64")
    d = stem.kernel.shape[0] * stem.kernel.shape[1] * stem.kernel.shape[2]
    outputs = patches[..., :d].reshape(-1, d)
    return np.cov(outputs, rowvar=False), stem


def test_the_stem_whitens_patches_and_is_frozen(preset, plain):
    covariance, stem = _stem_output_covariance(preset)
    # Estimated on the training images, checked on held-out ones: decorrelated, (near) unit variance.
    assert np.abs(covariance - np.eye(len(covariance))).max() < 0.25
    assert not stem.trainable
    covariance, stem = _stem_output_covariance(plain)
    assert np.abs(covariance - np.eye(len(covariance))).max() > 0.25 and stem.trainable


def _identity_filters(conv):
    kernel = keras.ops.convert_to_numpy(conv.kernel)
    height, width, inputs, outputs = kernel.shape
    n = min(inputs, outputs)
    expected = np.zeros((height, width, inputs, n), kernel.dtype)
    expected[height // 2, width // 2, np.arange(n), np.arange(n)] = 1
    return np.array_equal(kernel[..., :n], expected)


def test_every_convolution_after_the_stem_starts_as_a_partial_identity(preset, plain):
    blocks = [conv for conv in convolutions(preset.model)[1:] if conv.kernel_size[0] % 2 == 1]
    assert len(blocks) >= 6 and all(_identity_filters(conv) for conv in blocks)
    assert not any(_identity_filters(conv) for conv in convolutions(plain.model)[1:])
