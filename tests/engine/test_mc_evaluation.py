"""evaluate RUN_DIR --mc-samples N: deterministic vs MC scores, reliability diagrams, TensorBoard, bad input."""

import json

import pytest

SMOKE = ["--preset", "smoke", "--set", "data.synthetic_examples=128"]


def cli(cwd, *args):
    from tests import cli_runner

    return cli_runner.cifar(*args, cwd=cwd)


def train(cwd, name, *sets):
    result = cli(cwd, "train", *SMOKE, "--set", f"logging.run_name={name}", *sets)
    assert result.returncode == 0, result.stderr[-3000:]
    return cwd / "logs" / "cifar" / name


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("mc")
    # Flip test-time augmentation too: MC sampling goes through the averaging wrapper.
    dropout = train(cwd, "dropout", "--set", "regularization.dropout=dropout", "--set", "regularization.dropout_rate=0.5",
                    "--set", "training.test_time_augmentation=flip")  # fmt: skip
    plain = train(cwd, "plain", "--set", "regularization.dropout=none")
    return cwd, dropout, plain


def test_a_run_whose_dropout_samples_at_inference_is_scored_with_mc_off(tmp_path):
    # The `mc` variant trains MCDropout layers that sample at inference, so
    # the run's own test score is one random sample; "deterministic" must not be.
    run = train(tmp_path, "mc", "--set", "regularization.dropout=mc", "--set", "regularization.dropout_rate=0.5")
    reports = []
    for _ in range(2):
        result = cli(tmp_path, "evaluate", str(run), "--mc-samples", "4")
        assert result.returncode == 0, result.stderr[-3000:]
        assert "deterministic scores with MC off in" in result.stdout
        reports.append(json.loads((run / "evaluation-mc.json").read_text()))
    assert reports[0]["deterministic"] == reports[1]["deterministic"]
    assert reports[0]["deterministic"]["nll"] != pytest.approx(reports[0]["mc"]["nll"], rel=1e-4)

    # The reference: the same model with its MCDropout layers replaced by the identity.
    import keras

    from kerasreg.layers import MCDropout
    from kerasreg import engine
    from kerasreg.recipes.cifar import EXPERIMENT
    from kerasreg.experiment import config_of_run

    config = config_of_run(str(run))
    prepared = engine.prepare(config, EXPERIMENT)
    model = keras.models.load_model(run / "model.keras")
    identity = keras.models.clone_model(
        model, clone_function=lambda layer: keras.layers.Identity() if isinstance(layer, MCDropout)
        else layer.__class__.from_config(layer.get_config()))  # fmt: skip
    identity.set_weights(model.get_weights())
    assert sum(isinstance(layer, MCDropout) for layer in model._flatten_layers()) > 0
    labels, probabilities = engine.test_predictions(identity, prepared.test, prepared.one_hot)
    reference = engine.prediction_scores(probabilities, labels)
    for name in ("accuracy", "nll", "brier", "ece"):
        assert reports[0]["deterministic"][name] == pytest.approx(reference[name], rel=1e-5, abs=1e-7), name


def test_mc_scores_differ_from_the_deterministic_ones_which_match_the_run(runs):
    cwd, dropout, _ = runs
    result = cli(cwd, "evaluate", str(dropout), "--mc-samples", "8")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((dropout / "evaluation-mc.json").read_text())
    recorded = json.loads((dropout / "results.json").read_text())["test"]
    assert report["samples"] == 8 and report["stochastic_layers"] and report["test_time_augmentation"] == "flip"
    assert report["deterministic"]["accuracy"] == pytest.approx(recorded["accuracy"], abs=1e-6)
    assert report["deterministic"]["nll"] == pytest.approx(recorded["nll"], rel=1e-5)
    assert report["deterministic"]["ece"] == pytest.approx(recorded["ece"], abs=1e-6)
    assert report["mc"]["nll"] != pytest.approx(report["deterministic"]["nll"], rel=1e-6)
    assert report["mc"]["mean_mutual_information"] > 0
    from kerasreg.version import code_identity

    assert report["versions"]["kerasreg_code"] == code_identity()  # the code that scored it
    for name in ("reliability.png", "reliability-mc.png"):
        assert (dropout / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert '"mc"' in result.stdout and "reliability diagrams" in result.stdout


def test_the_diagrams_and_scores_are_logged_to_tensorboard(runs):
    from tensorboard.backend.event_processing import event_accumulator

    cwd, dropout, _ = runs
    if not (dropout / "evaluation-mc.json").exists():
        assert cli(cwd, "evaluate", str(dropout), "--mc-samples", "8").returncode == 0
    events = event_accumulator.EventAccumulator(str(dropout / "evaluate"), size_guidance={"tensors": 0})
    events.Reload()
    tags = set(events.Tags()["tensors"])
    assert {"reliability/deterministic", "reliability/mc", "mc/ece", "deterministic/nll"} <= tags


def test_without_stochastic_layers_mc_equals_deterministic(runs):
    cwd, _, plain = runs
    result = cli(cwd, "evaluate", str(plain), "--mc-samples", "3")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "no dropout or other stochastic layer" in result.stdout
    report = json.loads((plain / "evaluation-mc.json").read_text())
    assert report["stochastic_layers"] == []
    for name in ("accuracy", "nll", "brier", "ece"):
        assert report["mc"][name] == pytest.approx(report["deterministic"][name], rel=1e-5, abs=1e-7)
    assert report["mc"]["mean_mutual_information"] == pytest.approx(0.0, abs=1e-6)


def test_bad_sample_count_exits_2(runs):
    cwd, dropout, _ = runs
    result = cli(cwd, "evaluate", str(dropout), "--mc-samples", "0")
    assert result.returncode == 2
    assert "--mc-samples must be >= 1; got 0" in result.stderr and len(result.stderr.strip().splitlines()) == 1
