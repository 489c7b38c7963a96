"""A loss that turns NaN after good epochs stops the run and keeps the last good checkpoint."""

import json
import re

import keras
import numpy as np
import pytest

import kerasreg
from tests.engine import user_models

# 1e-3 for two epochs, then x1e15 (a step decay "up"): the loss overflows in epoch 3.
EXPLODING = {"schedule.name": "step", "schedule.learning_rate": 1e-3, "schedule.decay_epochs": 2,
             "schedule.decay_rate": 1e15, "optimizer.name": "sgd"}  # fmt: skip


def test_nan_in_epoch_3_keeps_the_weights_of_epoch_2(tmp_path):
    data = user_models.tabular()
    good = kerasreg.Experiment(model=user_models.plain_mlp, data=data, logdir=str(tmp_path / "good"), name="nan")
    reference = good.train(seed=0, epochs=2, values=EXPLODING, log=lambda *_: None)
    expected = keras.models.load_model(f"{reference.run_dir}/model.keras").get_weights()

    exp = kerasreg.Experiment(model=user_models.plain_mlp, data=data, logdir=str(tmp_path / "bad"), name="nan")
    with pytest.raises(FloatingPointError, match=r"epoch 3; the last good checkpoint is kept in ") as raised:
        exp.train(seed=0, epochs=5, values=EXPLODING, log=lambda *_: None)
    folder = re.search(r"kept in (\S+) ", str(raised.value)).group(1)
    state = json.loads(open(f"{folder}/state.json").read())
    assert state["epoch"] == 2
    kept = _checkpoint_weights(f"{folder}/{state['weights']}", user_models.plain_mlp(input_shape=(6,)))
    assert all(np.isfinite(w).all() for w in kept)
    for mine, theirs in zip(kept, expected):
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-7)


def _checkpoint_weights(path, model):
    # The weights file holds the optimizer's state too; only the model's are compared.
    model.compile(keras.optimizers.SGD(), "mse")
    model.load_weights(path)
    return model.get_weights()
