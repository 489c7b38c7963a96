"""Seeded runs of a small conv net through the engine, for comparing devices.

``python tests/engine/mirrored_runs.py OUT.json NORM...`` first splits the
CPU into two logical devices, which TensorFlow allows only before it
starts (hence a process of its own), so that the engine trains under
`tf.distribute.MirroredStrategy` with two replicas; it trains one run per
``NORM`` in that one process and writes ``{norm: results.json}``. `train`
called in any other process is the same run on that process's devices.
"""

import json
import sys

import keras
import numpy as np

import kerasreg

# Whole batches (96 training examples after the validation split, batch 16):
# a partial last batch splits unevenly over the replicas, whose mean losses
# then weigh its examples differently from one device's mean. SGD, not
# Adam: Adam's step ignores the gradient's scale, so gradients summed
# instead of averaged over replicas, or left loss-scaled, would go unseen.
VALUES = {"training.batch_size": 16, "data.validation_size": 32, "optimizer.name": "sgd",
          "optimizer.momentum": 0.9, "schedule.name": "constant", "schedule.learning_rate": 0.05,
          "logging.tensorboard": False}  # fmt: skip


def images(n=160, seed=0):
    """``(x_train, y_train, x_test, y_test)``: 128 and 32 uint8 8x8 images; class 1 is 64 levels brighter."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    x = (rng.integers(0, 192, size=(n, 8, 8, 3)) + 64 * y[:, None, None, None]).astype("uint8")
    return x[:128], y[:128], x[128:], y[128:]


def conv_net(filters=8, norm="none", *, input_shape, num_classes, seed):
    """Conv, batch norm (``"plain"``, ``"synchronized"`` over replicas, or ``"none"``), ReLU, pooling, logits."""
    initializer = keras.initializers.GlorotUniform(seed)
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(filters, 3, kernel_initializer=initializer)(inputs)
    if norm != "none":
        # Momentum 0.5: the moving statistics settle within the run's 12 steps.
        x = keras.layers.BatchNormalization(momentum=0.5, synchronized=norm == "synchronized")(x)
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.ReLU()(x))
    return keras.Model(inputs, keras.layers.Dense(num_classes, kernel_initializer=initializer)(x))


def train(norm, logdir):
    """``results.json`` of a two-epoch run of `conv_net` with ``norm``, seed 0."""
    experiment = kerasreg.Experiment(model=conv_net, data=images(), logdir=str(logdir), name=norm)
    return experiment.train({**VALUES, "model.norm": norm}, seed=0, epochs=2, log=lambda *_: None).results


if __name__ == "__main__":
    import tensorflow as tf

    (cpu,) = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    out, norms = sys.argv[1], sys.argv[2:]
    results = {norm: train(norm, "logs") for norm in norms}
    with open(out, "w") as file:
        json.dump(results, file)
