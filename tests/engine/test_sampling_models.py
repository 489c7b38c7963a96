"""A model that samples at inference (`MCDropout`) is validated, selected and tested with sampling off."""

import json
import os

import keras
import numpy as np

import kerasreg
from kerasreg.layers import disable_mc
from tests.engine import user_models


def test_validation_and_test_scores_are_deterministic_and_say_so(tmp_path):
    data = user_models.tabular(n=400)
    exp = kerasreg.Experiment(model=user_models.mc_dropout_mlp, data=data, logdir=str(tmp_path), name="mc")
    lines = []
    run = exp.train(seed=0, epochs=3, log=lines.append)
    results = json.loads(open(os.path.join(run.run_dir, "results.json")).read())
    assert results["scored_without_sampling"] == ["mc_drop"]
    assert any("MC sampling off in mc_drop" in line for line in lines)
    saved = keras.models.load_model(os.path.join(run.run_dir, "model.keras"))
    # The saved model still samples at inference, as built ...
    x_test, y_test = data[2], data[3]
    draws = [np.argmax(keras.ops.convert_to_numpy(saved(x_test)), 1) for _ in range(2)]
    assert (draws[0] != draws[1]).any()
    # ... while the recorded test accuracy is the deterministic model's.
    deterministic = np.argmax(disable_mc(saved).predict(x_test, verbose=0), 1)
    assert results["test"]["accuracy"] == np.float32(np.mean(deterministic == y_test))
    # The last epoch's validation accuracy is the deterministic one too: rerunning it gives the same value.
    config = exp.resolve(seed=0, epochs=3)
    prepared = kerasreg.engine.prepare(config, exp)
    validation = disable_mc(saved)
    validation.compile(loss=saved.loss, metrics=["accuracy"])
    again = validation.evaluate(prepared.validation, verbose=0, return_dict=True)["accuracy"]
    assert results["validation"]["accuracy"] == np.float32(again)
