"""train --ensemble K and ensemble RUN_DIR...: members, their average, and what the average is guaranteed to do."""

import json

import pytest

SMOKE = ["--preset", "smoke", "--set", "data.synthetic_examples=128", "--set", "regularization.dropout=dropout"]


def cli(cwd, *args):
    from tests import cli_runner

    return cli_runner.cifar(*args, cwd=cwd)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("ensemble")
    result = cli(cwd, "train", "--ensemble", "3", *SMOKE, "--set", "logging.run_name=e")
    assert result.returncode == 0, result.stderr[-3000:]
    return cwd, cwd / "logs" / "cifar" / "ensemble-e", result


def test_members_are_runs_with_consecutive_seeds(trained):
    _, folder, _ = trained
    for seed in (0, 1, 2):
        results = json.loads((folder / f"member-{seed}" / "results.json").read_text())
        assert results["seed"] == seed and results["config"]["training"]["seed"] == seed


def test_the_average_is_at_least_as_good_as_its_members_on_average_in_nll_and_brier(trained):
    cwd, folder, result = trained
    report = json.loads((folder / "ensemble.json").read_text())
    assert report["size"] == 3 and [m["seed"] for m in report["members"]] == [0, 1, 2]
    from kerasreg.engine.hardware import machine

    assert report["machine"] == machine()
    # -log and the squared error are convex: the score of the mean probability
    # is at most the mean of the scores (Jensen), whatever the members are.
    assert report["ensemble"]["nll"] <= report["member_mean"]["nll"] + 1e-9
    assert report["ensemble"]["brier"] <= report["member_mean"]["brier"] + 1e-9
    # Each member's scores are those its own run recorded on the same test set.
    for member in report["members"]:
        own = json.loads((cwd / member["run_dir"] / "results.json").read_text())["test"]
        assert member["accuracy"] == pytest.approx(own["accuracy"], abs=1e-6)
        assert member["nll"] == pytest.approx(own["nll"], rel=1e-5)
    assert "ensemble of 3" in (folder / "ensemble.md").read_text() and "ensemble of 3" in result.stdout


def test_a_rerun_skips_finished_members_and_reuse_gives_the_same_report(trained, tmp_path):
    cwd, folder, _ = trained
    again = cli(cwd, "train", "--ensemble", "3", *SMOKE, "--set", "logging.run_name=e")
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("done already") == 3
    reused = cli(cwd, "ensemble", *(str(folder / f"member-{s}") for s in (0, 1, 2)), "--output", str(tmp_path))
    assert reused.returncode == 0, reused.stderr[-3000:]
    first = json.loads((folder / "ensemble.json").read_text())
    second = json.loads((tmp_path / "ensemble.json").read_text())
    assert second["ensemble"] == pytest.approx(first["ensemble"])


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--ensemble", "1", *SMOKE], "--ensemble needs at least 2 members; got 1"),
        (["ensemble", "nowhere"], "an ensemble needs at least 2 runs; got 1"),
        (["ensemble", "a", "b"], "a is not a finished kerasreg run"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, args, message):
    result = cli(tmp_path, *args)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "logs").exists()


def test_the_ensemble_scores_the_mean_of_its_members_probabilities(trained):
    import keras
    import numpy as np

    from kerasreg.engine import evaluation_model, prepare, test_predictions
    from kerasreg.experiment import config_of_run
    from kerasreg.recipes.cifar import EXPERIMENT

    _, folder, _ = trained
    report = json.loads((folder / "ensemble.json").read_text())
    probabilities, labels = [], None
    for seed in (0, 1, 2):
        run_dir = folder / f"member-{seed}"
        config = config_of_run(str(run_dir))
        prepared = prepare(config, EXPERIMENT)
        model = keras.models.load_model(run_dir / "model.keras")
        labels, p = test_predictions(evaluation_model(model, config, prepared.fresh_metrics()), prepared.test,
                                     prepared.one_hot, prepared.outputs)  # fmt: skip
        probabilities.append(p.astype("float64"))
    mean = np.mean(probabilities, axis=0)
    rows = np.arange(len(labels))
    assert report["ensemble"]["accuracy"] == pytest.approx(np.mean(mean.argmax(1) == labels), abs=1e-9)
    assert report["ensemble"]["nll"] == pytest.approx(-np.mean(np.log(mean[rows, labels])), rel=1e-6)
    one_hot = np.eye(mean.shape[1])[labels]
    assert report["ensemble"]["brier"] == pytest.approx(np.mean(np.sum((mean - one_hot) ** 2, axis=1)), rel=1e-6)
    # Not any one member's, nor a geometric mean's: members disagree here.
    assert len({round(m["nll"], 6) for m in report["members"]}) == 3
    geometric = np.exp(np.mean(np.log(probabilities), axis=0))
    geometric /= geometric.sum(1, keepdims=True)
    assert abs(-np.mean(np.log(geometric[rows, labels])) - report["ensemble"]["nll"]) > 1e-6
