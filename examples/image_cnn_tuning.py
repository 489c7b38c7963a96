"""Your own image CNN with DropBlock, its rate and block size tuned with KerasTuner (Bayesian optimization).

    python examples/image_cnn_tuning.py
"""

import keras
import numpy as np

import kerasreg
from kerasreg.layers import DropBlock2D

# 16x16 noisy images with a faint 5-pixel bar: class 0 horizontal, class 1 vertical.
rng = np.random.default_rng(0)
images = rng.integers(0, 140, size=(1200, 16, 16, 1)).astype("uint8")
labels = rng.integers(0, 2, size=1200)
for image, label, (row, col) in zip(images, labels, rng.integers(0, 11, size=(1200, 2))):
    image[(row, slice(col, col + 5)) if label == 0 else (slice(row, row + 5), col)] += 60


def build_cnn(filters=16, *, input_shape, regularization, seed):
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(inputs)
    x = DropBlock2D(regularization.dropout_rate, block_size=regularization.block_size, seed=seed)(x)
    x = keras.layers.Conv2D(2 * filters, 3, padding="same", activation="relu")(x)
    x = keras.layers.GlobalMaxPooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(2)(x))


experiment = kerasreg.Experiment(model=build_cnn, data=(images[:1000], labels[:1000], images[1000:], labels[1000:]),
                                 name="bars", objective="val_loss",  # val accuracy ties on easy data
                                 config={"training.epochs": 5, "data.augment": ["flip"]})
search = experiment.tune({"regularization.dropout_rate": ("linear", 0.0, 0.3),
                          "regularization.block_size": ("int", 1, 5)}, tuner="bayesian", max_trials=4)
print(search.table)
print("best:", search.best["hyperparameters"], "test:", search.best["test"])
