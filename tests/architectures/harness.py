"""Small inputs and a one-step `fit` for the architecture tests."""

import keras
import numpy as np

NUM_CLASSES = 10
RGB = (32, 32, 3)  # CIFAR
GRAY = (28, 28, 1)  # Fashion-MNIST
BATCH = 4
# Small sizes of each builder, for fast tests.
SMALL = {"airbench": {"width": 4}, "cnn": {"width": 4, "depth": 2}, "resnet": {"width": 4, "depth": 8}, "fast": {"width": 4}}


def images(shape=RGB, batch=BATCH, seed=0):
    return np.random.default_rng(seed).normal(size=(batch,) + tuple(shape)).astype("float32")


def labels(batch=BATCH):
    return np.arange(batch) % NUM_CLASSES


def fit_one_step(model, shape=RGB):
    """Compiles ``model`` with a from-logits loss and runs one `fit` step; returns the loss."""
    model.compile(
        optimizer="sgd",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(
        images(shape), labels(), batch_size=BATCH, epochs=1, shuffle=False, verbose=0
    )
    loss = history.history["loss"][0]
    assert np.isfinite(loss), f"one fit step gave a non-finite loss: {loss}"
    return loss


def layer_types(model):
    return [type(layer).__name__ for layer in model.layers]
