"""The engine on JAX: a run trains, is scored once, re-evaluates to the same scores, and is scored under shift."""

import json
import os

import keras
import numpy as np
import pytest

import kerasreg  # noqa: F401  (registers the classes the saved models name)
from tests import cli_runner

SCRIPT = os.path.join(os.path.dirname(__file__), "jax_run.py")


def test_a_run_on_jax_trains_evaluates_and_is_scored_under_shift(tmp_path):
    result = cli_runner.subprocess_run(SCRIPT, str(tmp_path / "logs"), cwd=tmp_path, env={"KERAS_BACKEND": "jax"})
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["backend"] == "jax"
    # `evaluate` scores the saved model as the run scored it (test-time augmentation, one pass).
    for name, value in report["test"].items():
        assert report["again"][name] == pytest.approx(value, rel=1e-5, abs=1e-6), name
    assert report["calibration"]["temperature"] > 0
    assert report["predictors"] == ["deterministic", "deterministic+temperature", "mc_dropout_2"]
    # The inference model saved on JAX loads here (TensorFlow) and gives the calibrated probabilities.
    inference = keras.models.load_model(os.path.join(report["run_dir"], "inference.keras"))
    x = np.random.default_rng(1).integers(0, 256, size=(5, 8, 8, 3), dtype=np.uint8)
    probabilities = inference.predict(x, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
