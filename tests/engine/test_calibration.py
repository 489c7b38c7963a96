"""Temperature scaling in a run: fitted on the validation split, reported before/after, inside inference.keras."""

import os

import keras
import numpy as np
import pytest

import kerasreg
from kerasreg.config import ConfigError
from kerasreg.uncertainty import expected_calibration_error, fit_temperature, scaled_probabilities
from tests.engine import user_models

QUIET = dict(log=lambda *_: None)


@pytest.fixture(scope="module")
def calibrated_run(tmp_path_factory):
    data = user_models.tabular(n=160)
    exp = kerasreg.Experiment(model=user_models.dropout_mlp, data=data, logdir=str(tmp_path_factory.mktemp("cal")),
                              name="cal", config={"data.validation_size": 40})  # fmt: skip
    run = exp.train({"training.calibration": "temperature", "model.hidden": 16}, seed=0, epochs=3, **QUIET)
    return exp, data, run


def test_the_temperature_is_the_one_fitted_on_the_validation_logits(calibrated_run):
    from kerasreg.engine.preparation import training_arrays
    from kerasreg.experiment import config_of_run

    exp, data, run = calibrated_run
    config = config_of_run(run.run_dir)
    _, _, x_val, y_val = training_arrays(config, kerasreg.data.ArrayData(*data))
    model = keras.models.load_model(os.path.join(run.run_dir, "model.keras"))
    reference = fit_temperature(model.predict(x_val, verbose=0), y_val)
    recorded = run.results["calibration"]
    assert recorded["fitted_on"] == "validation" and recorded["validation_examples"] == len(y_val) == 40
    assert recorded["temperature"] == pytest.approx(reference, rel=1e-3)
    # After: the test set's ECE of the rescaled logits; before: the run's own test ECE.
    test_logits = model.predict(data[2], verbose=0)
    after = expected_calibration_error(scaled_probabilities(test_logits, recorded["temperature"]), data[3])
    assert recorded["after"]["ece"] == pytest.approx(after, abs=1e-6)
    assert recorded["before"]["ece"] == pytest.approx(run.test["ece"])
    assert "temperature scaling (in the inference model)" in run.summary


def test_the_inference_model_returns_the_calibrated_probabilities(calibrated_run):
    _, data, run = calibrated_run
    temperature = run.results["calibration"]["inference_model"]
    assert temperature == run.results["calibration"]["temperature"]  # no test-time augmentation: one temperature
    model = keras.models.load_model(os.path.join(run.run_dir, "model.keras"))
    inference = keras.models.load_model(os.path.join(run.run_dir, "inference.keras"))
    expected = scaled_probabilities(model.predict(data[2], verbose=0), temperature)
    np.testing.assert_allclose(inference.predict(data[2], verbose=0), expected, rtol=1e-4, atol=1e-6)


def test_evaluate_refits_the_same_temperature(calibrated_run):
    exp, _, run = calibrated_run
    scores = exp.evaluate(run.run_dir, **QUIET)
    assert scores["calibration"]["temperature"] == pytest.approx(run.results["calibration"]["temperature"], rel=1e-6)


def test_calibration_of_a_regression_model_is_an_error(tmp_path):
    x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")

    def regressor(*, input_shape):
        inputs = keras.Input(input_shape)
        return keras.Model(inputs, keras.layers.Dense(1)(inputs))

    exp = kerasreg.Experiment(model=regressor, data=(x, x[:, 0]), logdir=str(tmp_path), name="reg")
    with pytest.raises(ConfigError, match=r"training.calibration='temperature' rescales class probabilities; the "
                                          r"model of 'reg' outputs values \(regression\): use 'none'"):  # fmt: skip
        exp.train({"training.calibration": "temperature"}, epochs=1, **QUIET)
    assert not (tmp_path / "reg").exists() or not os.listdir(tmp_path / "reg")  # refused before any run
