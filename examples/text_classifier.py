"""A text classifier on integer token sequences: dropout on the embeddings vs none, over 3 seeds.

    python examples/text_classifier.py
"""

import keras
import numpy as np

import kerasreg

# Sentences of 24 token ids from a 300-word vocabulary: two words of the
# class's cue list (1-20 positive, 21-40 negative), two cues of either
# class as noise, neutral filler; 10 % of the labels flipped.
rng = np.random.default_rng(0)
tokens = rng.integers(41, 300, size=(1500, 24))
labels = rng.integers(0, 2, size=1500)
tokens[:, :2] = rng.integers(1, 21, size=(1500, 2)) + 20 * (1 - labels[:, None])
tokens[:, 2:4] = rng.integers(1, 41, size=(1500, 2))
labels = np.where(rng.random(1500) < 0.1, 1 - labels, labels)
tokens = np.take_along_axis(tokens, rng.random(tokens.shape).argsort(axis=1), axis=1).astype("int32")


def build_text_model(dim=16, *, input_shape, regularization):
    inputs = keras.Input(input_shape, dtype="int32")
    x = keras.layers.Embedding(300, dim)(inputs)
    x = keras.layers.SpatialDropout1D(regularization.dropout_rate)(x)  # drops whole embedding channels
    x = keras.layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, keras.layers.Dense(2)(x))


experiment = kerasreg.Experiment(model=build_text_model, data=(tokens[:1200], labels[:1200], tokens[1200:],
                                                               labels[1200:]),
                                 name="text", config={"training.epochs": 8, "schedule.learning_rate": 0.01})
report = experiment.compare({"none": {}, "embedding-dropout": {"regularization.dropout_rate": 0.3}}, seeds=3,
                            name="embedding-dropout")
print(report.table)
