"""The uncertainty study: every method over seeds on tiny images, disjoint ensembles, resume, refusals."""

import json
import os

import keras
import numpy as np
import pytest

import kerasreg
from kerasreg.comparison.uncertainty import METHODS
from kerasreg.config import ConfigError
from tests.engine import user_models


def _experiment(tmp_path, model=user_models.dropout_cnn):
    return kerasreg.Experiment(model=model, data=user_models.images(n=64), logdir=str(tmp_path), name="unc",
                               config={"regularization.dropout_rate": 0.3, "training.batch_size": 16})  # fmt: skip


def test_a_study_scores_every_method_and_a_rerun_trains_nothing(tmp_path):
    lines = []
    exp = _experiment(tmp_path)
    # One seed keeps it short: three runs (two ensemble members, one SWA run); the grouping of
    # more seeds is checked below without training.
    kwargs = dict(seeds=1, members=2, mc_samples=3, swa_epochs=1, corruptions=["contrast", "gaussian_noise"],
                  shift_examples=4, ood_examples=6, epochs=1)  # fmt: skip
    folder, report = exp.uncertainty(log=lines.append, **kwargs)
    assert list(report["rows"]) == list(METHODS) and report["seeds"] == [0]
    rows = report["rows"]
    scores = json.load(open(os.path.join(folder, "scores", "seed-0.json")))
    for method in METHODS:
        assert rows[method]["clean"]["accuracy"]["n"] == 1
        assert rows[method]["clean"]["nll"]["mean"] == scores["reports"][method]["clean"]["nll"]
        assert set(rows[method]["ood"]) == {"uniform", "gaussian"}
        assert set(rows[method]["shift"]["by_severity"]) == {"1", "2", "3", "4", "5"}
    assert set(rows["mc_dropout"]["ood"]["uniform"]) == {"max_probability", "entropy", "mutual_information"}
    assert scores["runs"] == {"deterministic": "runs/seed-0", "ensemble": ["runs/seed-0", "runs/seed-1"],
                              "swa": "swa/seed-0"}  # fmt: skip
    swa = json.load(open(os.path.join(folder, "swa", "seed-0", "results.json")))
    assert swa["config"]["training"]["swa_epochs"] == 1 and swa["swa"]["snapshots"] == 1
    assert rows["deterministic+temperature"]["clean"]["accuracy"] == rows["deterministic"]["clean"]["accuracy"]
    for name in ("uncertainty.md", "uncertainty.json", "shift.png", "reliability.png", "reliability-calibrated.png"):
        assert os.path.isfile(os.path.join(folder, name)), name
    table = open(os.path.join(folder, "uncertainty.md")).read()
    assert table == report["table"] and all(f"| {method} |" in table for method in METHODS)
    assert report["cost_ratio"]["deterministic"] == 1.0 and report["cost_ratio"]["mc_dropout"] > 1.0
    # A rerun: nothing trains, nothing is scored again, the same table.
    again = []
    _, second = exp.uncertainty(log=again.append, **kwargs)
    assert "uncertainty study: 3 of 3 runs done already" in again
    assert not any(line.startswith(("training:", "scoring seed")) for line in again)
    assert second["table"] == report["table"]
    # Another spec in the same folder is refused rather than mixed in.
    with pytest.raises(ConfigError, match="holds an uncertainty study of another config or spec"):
        exp.uncertainty(log=again.append, **{**kwargs, "mc_samples": 4})
    # `evaluate --shift --ood` of one of its runs: the same scores of the deterministic model.
    evaluated = exp.evaluate(os.path.join(folder, "runs", "seed-0"), shift=True, ood=True, shift_examples=4,
                             corruptions=["contrast", "gaussian_noise"], log=lambda *_: None)  # fmt: skip
    ours = evaluated["predictors"]["deterministic"]
    assert ours["shift"]["mean"] == pytest.approx(scores["reports"]["deterministic"]["shift"]["mean"])
    assert ours["clean"] == pytest.approx(scores["reports"]["deterministic"]["clean"])


def test_ensembles_of_different_seeds_share_no_member_and_rows_are_means_over_seeds():
    from kerasreg.comparison.uncertainty import UncertaintySpec, _aggregate, _run_configs
    from kerasreg.config import ExperimentConfig

    base = ExperimentConfig()
    base.training.seed, base.training.epochs = 10, 8
    configs = _run_configs(base, UncertaintySpec(seeds=3, members=3))
    plain = [name for name in configs if name.startswith("runs")]
    assert [configs[n].training.seed for n in plain] == list(range(10, 19))
    assert [(n, configs[n].training.swa_epochs) for n in configs if n.startswith("swa")] == [
        (os.path.join("swa", f"seed-{s}"), 2) for s in (10, 11, 12)]  # a quarter of 8 epochs
    groups = [plain[i * 3:(i + 1) * 3] for i in range(3)]  # as `_score_seed` takes them
    assert len({name for group in groups for name in group}) == 9
    reports = [{"clean": {m: v for m in ("accuracy", "nll", "brier", "ece", "adaptive_ece")}, "ood": {},
                "seconds_test": 1.0} for v in (0.2, 0.4, 0.9)]  # fmt: skip
    row = _aggregate(reports)
    assert row["clean"]["ece"]["mean"] == pytest.approx(0.5) and row["clean"]["ece"]["n"] == 3
    # The t interval of (0.2, 0.4, 0.9): 0.5 +- t(0.975, 2) * s / sqrt(3).
    assert row["clean"]["ece"]["high"] - 0.5 == pytest.approx(4.302653 * np.std([0.2, 0.4, 0.9], ddof=1) / 3**0.5)


def test_a_model_without_dropout_is_refused_before_any_run(tmp_path):
    def no_dropout(*, input_shape, num_classes):
        inputs = keras.Input(input_shape)
        x = keras.layers.GlobalAveragePooling2D()(inputs)
        return keras.Model(inputs, keras.layers.Dense(num_classes)(x))

    exp = kerasreg.Experiment(model=no_dropout, data=user_models.images(n=64), logdir=str(tmp_path), name="plain")
    with pytest.raises(ConfigError, match="has no dropout or other stochastic layer, so its MC dropout row would "
                                          "repeat the deterministic one"):  # fmt: skip
        exp.uncertainty(seeds=2, epochs=1, log=lambda *_: None)
    assert not os.path.isdir(os.path.join(tmp_path, "plain", "uncertainty-study", "runs"))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"members": 1}, "--members must be an integer >= 2; got 1"),
        ({"mc_samples": 1}, "--mc-samples must be an integer >= 2; got 1"),
        ({"ood_examples": 0}, "--ood-examples must be an integer >= 1; got 0"),
        ({"swa_epochs": 9}, r"--swa-epochs must be in \[0, training.epochs=2\] \(0: a quarter\); got 9"),
        ({"corruptions": ["fog"]}, "unknown corruption 'fog'; choose from gaussian_noise, "),
    ],
)  # fmt: skip
def test_bad_study_arguments(tmp_path, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        _experiment(tmp_path).uncertainty(epochs=2, log=lambda *_: None, **kwargs)
