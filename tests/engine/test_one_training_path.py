"""One training path: a tune trial trains exactly as `train` does with the same values and seed."""

import json

import numpy as np

from kerasreg import engine
from kerasreg.recipes.cifar import EXPERIMENT
from kerasreg.tuning import run_search, space_from_dict

QUIET = lambda *_: None  # noqa: E731

# Lookahead and SWA are on: callbacks that trials used to skip.
VALUES = {
    "data.synthetic_examples": 128,
    "training.epochs": 2,
    "training.lookahead_steps": 2,
    "training.swa_epochs": 1,
    "regularization.dropout": "dropout",
    "regularization.dropout_rate": 0.2,
}


def test_a_tune_trial_ends_with_the_metrics_of_train_with_its_values_and_seed(tmp_path):
    base = EXPERIMENT.resolve({**VALUES, "logging.logdir": str(tmp_path / "logs")}, preset="smoke",
                              derive_schedule=False, log=QUIET)  # fmt: skip
    space = space_from_dict({"schedule.learning_rate": {"type": "choice", "values": [0.02], "default": 0.02}}, base,
                            name="one")
    lines = []
    root, results = run_search(EXPERIMENT, base, space, kind="grid", max_trials=1, log=lines.append)
    [trial] = results["trials"]
    assert f"tune: trial 1 of 1 (trial-{trial['trial_id']})" in lines  # KerasTuner's own display is off
    record = json.loads((tmp_path / "logs" / "cifar" / "tune-one" / f"trial-{trial['trial_id']}" / "trial.json")
                        .read_text())  # fmt: skip

    config = EXPERIMENT.resolve({**VALUES, "schedule.learning_rate": 0.02, "logging.logdir": str(tmp_path / "logs")},
                                preset="smoke", log=QUIET)  # fmt: skip
    _, run = engine.train(config, EXPERIMENT, run_dir=str(tmp_path / "train"), log=QUIET)

    assert set(record["history"]) == set(run["history"])
    for name, values in run["history"].items():
        np.testing.assert_allclose(record["history"][name], values, rtol=1e-6, err_msg=name)
    assert run["swa"]["snapshots"] == 1
    # The comparison can tell: the same run without Lookahead and SWA (what trials used to train) differs.
    plain = EXPERIMENT.resolve({**VALUES, "schedule.learning_rate": 0.02, "training.lookahead_steps": 0,
                                "training.swa_epochs": 0}, preset="smoke", log=QUIET)  # fmt: skip
    _, other = engine.train(plain, EXPERIMENT, run_dir=str(tmp_path / "plain"), log=QUIET)
    assert not np.allclose(other["history"]["val_loss"], run["history"]["val_loss"], rtol=1e-6)
    # The trial never touched the test set; the search scored only its best trial, once.
    assert "test" not in record and results["best"]["test"]
