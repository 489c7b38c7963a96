"""Small user-side models and data, as a user would write them (no kerasreg builder conventions)."""

import keras
import numpy as np

from kerasreg.architectures import RegularizedLayers


def tabular(n=96, features=6, seed=0):
    """Float features with a binary label that depends on two of them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64")
    split = int(0.75 * n)
    return x[:split], y[:split], x[split:], y[split:]


def images(n=64, seed=0):
    """uint8 images whose class is their mean brightness (above or below the middle)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(n, 8, 8, 3), dtype=np.uint8)
    y = (x.mean(axis=(1, 2, 3)) > 127.5).astype("int64")
    split = int(0.75 * n)
    return x[:split], y[:split], x[split:], y[split:]


def plain_mlp(hidden=8, *, input_shape):
    """Reads no regularization at all."""
    inputs = keras.Input(input_shape)
    h = keras.layers.Dense(hidden, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(2)(h))


def dropout_mlp(hidden=8, *, input_shape, regularization):
    """Reads regularization.dropout_rate only."""
    inputs = keras.Input(input_shape)
    h = keras.layers.Dense(hidden, activation="relu")(inputs)
    h = keras.layers.Dropout(regularization.dropout_rate)(h)
    return keras.Model(inputs, keras.layers.Dense(2)(h))


def head_only_mlp(hidden=8, *, input_shape, regularization, seed):
    """Uses RegularizedLayers for its classifier head only (no blocks, no kernel regularizer in the hidden layer)."""
    layers = RegularizedLayers(regularization, seed)
    inputs = keras.Input(input_shape)
    h = keras.layers.Dense(hidden, activation="relu")(inputs)
    return layers.model(inputs, layers.classifier(h, 2))


def softmax_mlp(hidden=8, *, input_shape):
    inputs = keras.Input(input_shape)
    h = keras.layers.Dense(hidden, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(h))


def small_cnn(filters=4, *, input_shape, num_classes, regularization, seed):
    """An image CNN written with RegularizedLayers: every regularization key reaches it."""
    layers = RegularizedLayers(regularization, seed)
    inputs = keras.Input(input_shape)
    x = layers.conv_norm_act(inputs, filters, name="conv1")
    x = layers.block_dropout(x, name="drop1")
    x = keras.layers.GlobalAveragePooling2D()(x)
    return layers.model(inputs, layers.classifier(x, num_classes))


def mc_dropout_mlp(hidden=32, rate=0.9, *, input_shape, seed):
    """Heavy `MCDropout`, which samples at inference unless told otherwise."""
    from kerasreg.layers import MCDropout

    inputs = keras.Input(input_shape)
    h = keras.layers.Dense(hidden, activation="relu")(inputs)
    h = MCDropout(rate, seed=seed, name="mc_drop")(h)
    return keras.Model(inputs, keras.layers.Dense(2)(h))


def dropout_cnn(*, input_shape, num_classes, regularization, seed):
    """A one-conv image model with dropout before its classifier: something for MC dropout to sample."""
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(regularization.dropout_rate, seed=seed)(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes)(x))
