"""An MLP on scikit-learn's breast-cancer table: dropout vs DropConnect vs none, over 3 seeds.

    python examples/breast_cancer_mlp.py
"""

import keras
import numpy as np
from sklearn.datasets import load_breast_cancer

import kerasreg
from kerasreg.layers import DropConnectDense

x, y = load_breast_cancer(return_X_y=True)
x = ((x - x.mean(axis=0)) / x.std(axis=0)).astype("float32")  # standardized features
order = np.random.default_rng(0).permutation(len(x))
test, train = order[:114], order[114:]


def build_mlp(hidden=32, dropconnect=0.0, *, input_shape, regularization):
    inputs = keras.Input(input_shape)
    h = keras.layers.Dense(hidden, activation="relu")(inputs)
    h = keras.layers.Dropout(regularization.dropout_rate)(h)
    if dropconnect:
        return keras.Model(inputs, DropConnectDense(1, rate=dropconnect)(h))
    return keras.Model(inputs, keras.layers.Dense(1)(h))  # one logit: malignant vs benign


experiment = kerasreg.Experiment(
    model=build_mlp, data=(x[train], y[train], x[test], y[test]), name="breast-cancer",
    loss="binary_crossentropy", metrics=["accuracy", "auc"], objective="val_auc",
    config={"training.epochs": 20, "data.validation_size": 0.2},
)
report = experiment.compare({"none": {}, "dropout": {"regularization.dropout_rate": 0.3},
                             "dropconnect": {"model.dropconnect": 0.3}}, seeds=3, name="dropout-vs-dropconnect")
print(report.table)
