"""`kerasreg.engine.robustness`: clean, shifted and OOD scores of predictors, against independent computations."""

import numpy as np
import pytest

from kerasreg.engine import calibration
from kerasreg.engine.robustness import EvaluationData, Predictor, ensemble_predictor, score_predictors, \
    severity_subsets  # fmt: skip
from kerasreg.uncertainty import expected_calibration_error, ood_detection
from kerasreg.uncertainty.corruptions import corrupt

QUIET = dict(log=lambda *_: None)


def _images(n, seed):
    return np.random.default_rng(seed).integers(0, 256, size=(n, 8, 8, 3), dtype=np.uint8)


def _brightness_predictor(name="bright", sharpness=0.05, calibrate=False):
    """Class 1 for bright images: a deterministic function of the pixels, so every score can be recomputed."""

    def predict(x):
        z = (x.reshape(len(x), -1).mean(axis=1) - 127.5) * sharpness
        p1 = 1.0 / (1.0 + np.exp(-z))
        return np.stack([1.0 - p1, p1], axis=1), None

    return Predictor(name, predict, calibrate)


def _data(ood=True):
    x_test, x_val = _images(50, 1), _images(40, 2)
    label = lambda x: (x.reshape(len(x), -1).mean(axis=1) > 127.5).astype("int64")  # noqa: E731
    flip = np.random.default_rng(3).random(40) < 0.3  # validation labels a model cannot all get right
    sets = {"uniform": _images(30, 4), "dark": np.zeros((10, 8, 8, 3), np.uint8)} if ood else {}
    return EvaluationData(x_val, np.where(flip, 1 - label(x_val), label(x_val)), x_test, label(x_test), sets)


def test_severity_subsets_are_disjoint_slices_of_one_permutation_and_wrap():
    subsets = severity_subsets(100, 20, (1, 2, 3, 4, 5), seed=0)
    together = np.concatenate(list(subsets.values()))
    assert sorted(together.tolist()) == list(range(100))  # five fifths: each example once
    assert all(len(s) == 20 for s in subsets.values())
    wrapped = severity_subsets(10, 4, (1, 2, 3), seed=0)
    assert sum(len(s) for s in wrapped.values()) == 12 and len(set(np.concatenate(list(wrapped.values())))) == 10
    assert all(len(s) == 7 for s in severity_subsets(7, 9, (1, 2), seed=0).values())


def test_scores_equal_a_direct_computation_on_the_same_corrupted_images():
    data = _data()
    predictor = _brightness_predictor(calibrate=True)
    reports = score_predictors([predictor], data, corruptions=("contrast", "gaussian_noise"), severities=(1, 3),
                               examples=10, seed=5, **QUIET)  # fmt: skip
    raw, scaled = reports["bright"], reports["bright+temperature"]
    p_test, _ = predictor.predict(data.x_test)
    assert raw["clean"]["ece"] == pytest.approx(expected_calibration_error(p_test, data.y_test, num_bins=15))
    # The temperature: fitted on the validation predictions only.
    temperature = calibration.fit(predictor.predict(data.x_validation)[0], data.y_validation)
    assert scaled["temperature"] == pytest.approx(temperature)
    assert scaled["clean"]["nll"] == pytest.approx(
        -np.mean(np.log(calibration.rescaled(p_test, temperature)[np.arange(50), data.y_test])))
    assert scaled["clean"]["accuracy"] == raw["clean"]["accuracy"]  # rescaling keeps every argmax
    # One cell, recomputed from the corruption itself.
    subset = severity_subsets(50, 10, (1, 3), seed=5)[3]
    x = corrupt(data.x_test[subset], "gaussian_noise", 3, seed=5)
    p, _ = predictor.predict(x)
    cell = raw["shift"]["corruptions"]["gaussian_noise"]["3"]
    assert cell["accuracy"] == pytest.approx(np.mean(np.argmax(p, axis=1) == data.y_test[subset]))
    cells = [raw["shift"]["corruptions"][c][s] for c in ("contrast", "gaussian_noise") for s in ("1", "3")]
    assert raw["shift"]["mean"]["ece"] == pytest.approx(np.mean([c["ece"] for c in cells]))
    assert raw["shift"]["by_severity"]["1"]["nll"] == pytest.approx(
        np.mean([raw["shift"]["corruptions"][c]["1"]["nll"] for c in ("contrast", "gaussian_noise")]))
    # OOD: one minus the max probability and the entropy, against the clean test set.
    p_dark, _ = predictor.predict(data.ood["dark"])
    assert raw["ood"]["dark"]["max_probability"] == ood_detection(1 - p_test.max(axis=1), 1 - p_dark.max(axis=1))
    assert "mutual_information" not in raw["ood"]["dark"]
    assert reports["_clean"]["bright"].shape == (50, 2)


def test_an_ensemble_averages_its_members_and_its_information_is_their_disagreement():
    members = [_brightness_predictor(f"m{i}", sharpness=s) for i, s in enumerate((0.01, 0.2, -0.05))]
    x = _images(20, 7)
    mean, information = ensemble_predictor("e", members).predict(x)
    ps = [m.predict(x)[0] for m in members]
    np.testing.assert_allclose(mean, np.mean(ps, axis=0))
    entropy = lambda p: -np.sum(p * np.log(p), axis=1)  # noqa: E731
    np.testing.assert_allclose(information, entropy(mean) - np.mean([entropy(p) for p in ps], axis=0), atol=1e-12)
    assert (information >= 0).all() and information.max() > 0.01
    reports = score_predictors([ensemble_predictor("e", members)], _data(), **QUIET)
    assert set(reports["e"]["ood"]["uniform"]) == {"max_probability", "entropy", "mutual_information"}
    assert "shift" not in reports["e"]


def test_the_command_line_knows_the_same_corruptions_as_the_module():
    from kerasreg.config.shift import CORRUPTION_NAMES
    from kerasreg.uncertainty import CORRUPTIONS

    assert CORRUPTION_NAMES == CORRUPTIONS


def tf_value(event):
    import tensorflow as tf

    return tf.make_ndarray(event.tensor_proto)


def test_evaluate_scores_an_open_set_run_on_its_held_out_classes(tmp_path):
    import json
    import os

    import keras

    import kerasreg
    from kerasreg.config import ConfigError

    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 30)
    # Each class has its own brightness: the held-out class (2) is the brightest.
    x = np.clip(rng.normal(60 + 60 * y[:, None, None, None], 20, size=(90, 8, 8, 3)), 0, 255).astype("uint8")

    def cnn(*, input_shape, num_classes):
        inputs = keras.Input(input_shape)
        h = keras.layers.GlobalAveragePooling2D()(inputs)
        return keras.Model(inputs, keras.layers.Dense(num_classes)(keras.layers.Dense(8, activation="relu")(h)))

    exp = kerasreg.Experiment(model=cnn, data=(x[::2], y[::2], x[1::2], y[1::2]), logdir=str(tmp_path), name="open",
                              config={"training.batch_size": 8})
    run = exp.train({"data.known_classes": [0, 1]}, epochs=1, **QUIET)
    report = exp.evaluate(run.run_dir, ood=True, **QUIET)
    deterministic = report["predictors"]["deterministic"]
    assert set(deterministic["ood"]) == {"uniform", "gaussian", "held_out_classes"}
    assert report["held_out_classes"] == ["2"]  # the class names of integer labels
    assert "shift" not in deterministic and "deterministic+temperature" in report["predictors"]
    written = json.load(open(os.path.join(run.run_dir, "evaluation-shift.json")))
    assert written["predictors"]["deterministic"]["ood"] == deterministic["ood"]
    assert set(written["files"]) == {"report", "reliability", "reliability_calibrated", "tensorboard"}
    assert set(deterministic["clean_intervals"]) == {"accuracy", "nll", "brier", "ece"}
    # TensorBoard: the clean scores at step 0 of `evaluate/`, beside the run's curves.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(os.path.join(run.run_dir, "evaluate"), size_guidance={"tensors": 0}).Reload()
    logged = {e.step: float(tf_value(e)) for e in events.Tensors("shift/deterministic/ece")}
    assert logged == {0: pytest.approx(deterministic["clean"]["ece"], rel=1e-6)}
    assert "reliability/temperature" in events.Tags()["tensors"]
    with pytest.raises(ConfigError, match=r"--corruptions and --shift-examples apply to --shift only"):
        exp.evaluate(run.run_dir, corruptions=["contrast"], **QUIET)


def test_test_intervals_are_percentile_bootstraps_of_each_metric():
    from kerasreg.engine.robustness import test_intervals
    from kerasreg.uncertainty import bootstrap_interval, brier_score

    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(3), size=200)
    y = rng.integers(0, 3, 200)
    intervals = test_intervals(p, y, resamples=300, seed=4)
    assert intervals["brier"] == dict(zip(("value", "low", "high"), bootstrap_interval(brier_score, p, y,
                                                                                       resamples=300, seed=4)))
    accuracy = intervals["accuracy"]
    assert accuracy["value"] == np.mean(np.argmax(p, axis=1) == y)
    assert accuracy["low"] < accuracy["value"] < accuracy["high"]
    # A binomial proportion near 1/3 on 200 examples: the 95 % interval is about +-0.065 wide each side.
    assert 0.04 < (accuracy["high"] - accuracy["low"]) / 2 < 0.09
