"""The CIFAR recipe through its real command line (subprocesses), on the smoke preset."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests import cli_runner

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, cwd, timeout=600):
    """The recipe's command line, in this process (`tests.cli_runner`)."""
    return cli_runner.cifar(*args, cwd=cwd)


def run_dirs(root):
    base = Path(root) / "logs" / "cifar"
    return sorted(p for p in base.iterdir() if p.is_dir()) if base.exists() else []


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    # A real `python -m kerasreg.recipes.cifar` process: the command as a user types it.
    cwd = tmp_path_factory.mktemp("smoke")
    # TensorFlow's C++ logging left at the command line's own setting.
    result = cli_runner.subprocess_run("-m", "kerasreg.recipes.cifar", "--preset", "smoke", "--epochs", "2", cwd=cwd,
                                       env={"TF_CPP_MIN_LOG_LEVEL": None})  # fmt: skip
    return cwd, result


def test_smoke_run_exits_0_and_leaves_results(smoke_run):
    cwd, result = smoke_run
    assert result.returncode == 0, result.stderr[-3000:]
    assert "tensorboard --logdir logs" in result.stdout
    # No TensorFlow C++ or oneDNN lines (cuInit, cudart, cpu_feature_guard): stderr is kerasreg's alone.
    assert result.stderr.strip() == "", result.stderr[-3000:]
    (run_dir,) = run_dirs(cwd)
    results = json.loads((run_dir / "results.json").read_text())
    assert results["epochs_run"] == 2
    assert 0.0 <= results["test"]["accuracy"] <= 1.0
    assert results["seed"] == 0 and results["versions"]["keras"]
    from kerasreg.engine.hardware import machine

    assert results["machine"] == machine()  # what the wall time was measured on
    assert results["config"]["data"]["source"] == "synthetic"
    config = json.loads((run_dir / "config.json").read_text())
    assert config["training"]["epochs"] == 2
    assert (run_dir / "model.keras").is_file()


def _scalar_tags(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(folder), size_guidance={"tensors": 0, "images": 0, "scalars": 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    return set(tags.get("tensors", [])) | set(tags.get("scalars", [])), set(tags.get("images", [])), accumulator


def test_tensorboard_events(smoke_run):
    cwd, result = smoke_run
    (run_dir,) = run_dirs(cwd)
    train_tags, _, _ = _scalar_tags(run_dir / "train")
    validation_tags, _, _ = _scalar_tags(run_dir / "validation")
    root_tags, images, _ = _scalar_tags(run_dir)
    assert {"epoch_loss", "epoch_accuracy", "learning_rate"} <= train_tags
    assert {"epoch_loss", "epoch_accuracy", "gap/accuracy", "gap/loss"} <= validation_tags
    assert "_hparams_/session_start_info" in root_tags
    assert {"final/test_accuracy"} <= root_tags
    assert {"learning_rate_schedule", "confusion_matrix"} <= images | root_tags


def test_evaluate_reproduces_the_test_metrics(smoke_run):
    cwd, _ = smoke_run
    (run_dir,) = run_dirs(cwd)
    result = run_cli("evaluate", str(run_dir), "--json", cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads(result.stdout[result.stdout.index("{"):])
    results = json.loads((run_dir / "results.json").read_text())
    np.testing.assert_allclose(metrics["accuracy"], results["test"]["accuracy"], atol=1e-6)


def test_evaluate_can_switch_test_time_augmentation(smoke_run):
    """What flip TTA buys, measured on the same trained model: the mirrored logits averaged in."""
    import keras

    import kerasreg  # noqa: F401 - registers the layers for loading
    from kerasreg.config import build
    from kerasreg import engine
    from kerasreg.recipes.cifar import EXPERIMENT

    cwd, _ = smoke_run
    (run_dir,) = run_dirs(cwd)
    result = run_cli("evaluate", str(run_dir), "--test-time-augmentation", "flip", "--json", cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads(result.stdout[result.stdout.index("{"):])

    config = build(json.loads((run_dir / "config.json").read_text()))
    config.data.cache_dir = str(cwd / "cache")
    assert config.training.test_time_augmentation == "none"
    test = engine.prepare(config, EXPERIMENT).test
    model = keras.models.load_model(run_dir / "model.keras")
    x = np.concatenate([batch[0] for batch in test])
    y = np.concatenate([batch[1] for batch in test])
    logits = (model.predict(x, verbose=0) + model.predict(x[:, :, ::-1], verbose=0)) / 2
    labels = y.argmax(1) if y.ndim == 2 else y
    np.testing.assert_allclose(metrics["accuracy"], np.mean(logits.argmax(1) == labels), atol=1e-6)


@pytest.mark.parametrize(
    "args, message",
    [
        (["trian"], "unknown command 'trian'"),
        (["--epoch", "3"], "unrecognized arguments: --epoch"),
        (["--set", "training.epoch=3"], "unknown config key 'training.epoch'"),
        (["--set", "training.epochs=abc"], "training.epochs expects an integer"),
        (["--epochs", "0"], "training.epochs=0"),
        (["--batch-size", "-1"], "training.batch_size=-1"),
        (["--batch-size", "100000"], "training.batch_size=100000 is larger than the training split"),
        (["--set", "regularization.dropout_rate=1.5"], "dropout_rate=1.5"),
        (["--set", "model.name=vgg99"], "model.name='vgg99'"),
        (["--set", "regularization.dropout=drop"], "dropout='drop'"),
        (["--set", "schedule.name=cosine_annealing"], "name='cosine_annealing'"),
        (["--set", "model.whitening=true"], "model.whitening=true needs a model whose stem is sized for patch whitening"),
        (["--config", "missing.toml"], "config file not found: missing.toml"),
        (["--config", "bad.toml"], "not valid TOML"),
        (["--data", "no/such/path"], "no/such/path"),
        (["--data", "empty_dir"], "empty_dir"),
        (["--resume", "not_a_run"], "not a kerasreg run directory"),
        (["evaluate", "not_a_run"], "not a kerasreg run directory"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, args, message):
    (tmp_path / "bad.toml").write_text("[training\n")
    (tmp_path / "empty_dir").mkdir()
    (tmp_path / "not_a_run").mkdir()
    result = run_cli("--preset", "smoke", *args, cwd=tmp_path) if args[0] not in ("trian", "evaluate") else run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2, (result.stdout[-2000:], result.stderr[-2000:])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr
    assert run_dirs(tmp_path) == [], "nothing half-written"


def test_help(tmp_path):
    for args in (["--help"], ["train", "--help"], ["find-lr", "--help"], ["evaluate", "--help"]):
        result = run_cli(*args, cwd=tmp_path)
        assert result.returncode == 0 and "usage:" in result.stdout


def test_second_recipe_runs_on_the_same_engine(tmp_path):
    from kerasreg.recipes.fashion_mnist import main

    result = cli_runner.run_main(main, ["--preset", "smoke"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = sorted((tmp_path / "logs" / "fashion_mnist").iterdir())
    results = json.loads((run_dir / "results.json").read_text())
    assert results["recipe"] == "fashion_mnist"
    assert results["config"]["recipe"] == "fashion_mnist"


def test_download_failure_says_how_to_pass_data(tmp_path):
    # No network here: keras.datasets cannot download, and the CLI must say what to do.
    from kerasreg.recipes.fashion_mnist import main

    result = cli_runner.run_main(main, ["--preset", "cpu", "--epochs", "2"], cwd=tmp_path,
                                 env={"KERAS_HOME": str(tmp_path / "keras_home"), "HTTPS_PROXY": "http://127.0.0.1:9",
                                      "HTTP_PROXY": "http://127.0.0.1:9"})  # fmt: skip
    assert result.returncode == 2, (result.stdout[-2000:], result.stderr[-2000:])
    assert "--data" in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1, result.stderr


def test_find_lr_suggests_and_plots(tmp_path):
    result = run_cli("find-lr", "--preset", "smoke", "--steps", "12", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "suggested learning rate" in result.stdout
    assert "--preset smoke --set schedule.learning_rate=" in result.stdout
    (run_dir,) = run_dirs(tmp_path)
    assert run_dir.name.startswith("find-lr-")
    assert (run_dir / "lr_finder.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_nan_loss_stops_with_a_clear_message(tmp_path):
    (tmp_path / "explode.toml").write_text('[schedule]\nname = "constant"\nlearning_rate = 1e12\n')
    result = run_cli("--preset", "smoke", "--epochs", "3", "--config", "explode.toml", cwd=tmp_path)
    assert result.returncode == 1, (result.stdout[-2000:], result.stderr[-2000:])
    assert "training loss became nan" in result.stderr and "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1, result.stderr
    assert run_dirs(tmp_path) == [], "no epoch finished: nothing kept"


def test_malformed_tf_config_is_refused_clearly(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_CONFIG": '{"cluster": {"worker": ["localhost:1"]}}'}
    result = subprocess.run([sys.executable, "-m", "kerasreg.recipes.cifar", "--preset", "smoke"],
                            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "TF_CONFIG=" in result.stderr and "is not a cluster description" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert run_dirs(tmp_path) == []


@pytest.mark.parametrize("command, hint", [
    (["train"], "no epoch had finished, so nothing was kept"),
    (["train", "--ensemble", "2"], "rerun the same command to continue (finished members are kept)"),
    (["compare", "c.toml"], "rerun the same command to continue (finished runs are kept)"),
    (["evaluate", "logs/cifar/run"], None),
])  # fmt: skip
def test_ctrl_c_says_how_to_carry_on_for_that_command(command, hint, monkeypatch, capsys):
    from kerasreg.cli import commands
    from kerasreg.recipes.cifar import EXPERIMENT

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(commands._Command, "check", lambda self: None)  # the files named need not exist
    monkeypatch.setattr(commands._Command, command[0], interrupted)
    assert commands.main(EXPERIMENT, command, prog="python -m kerasreg.recipes.cifar") == 130
    message = capsys.readouterr().err.strip()
    assert message.startswith("python -m kerasreg.recipes.cifar: interrupted")
    assert message.endswith(hint) if hint else message.endswith("interrupted")


@pytest.mark.parametrize("after_checkpoint", [False, True], ids=["first-epoch", "second-epoch"])
def test_ctrl_c_in_a_run_names_the_run_directory_or_says_nothing_was_kept(after_checkpoint, tmp_path, monkeypatch):
    from kerasreg.engine import checkpoint

    original = checkpoint.RunCheckpoint.on_epoch_end

    def on_epoch_end(self, epoch, logs=None):
        if after_checkpoint:
            original(self, epoch, logs)
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint.RunCheckpoint, "on_epoch_end", on_epoch_end)
    result = run_cli("--preset", "smoke", "--epochs", "2", "--set", "data.synthetic_examples=64", cwd=tmp_path)
    assert result.returncode == 130, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    if after_checkpoint:
        (run_dir,) = run_dirs(tmp_path)
        assert last == f"python -m kerasreg.recipes.cifar: interrupted; continue with --resume {os.path.relpath(run_dir, tmp_path)}"
    else:
        assert run_dirs(tmp_path) == []
        assert last == "python -m kerasreg.recipes.cifar: interrupted; no epoch had finished, so nothing was kept"


def test_resume_refuses_the_flags_it_would_ignore(smoke_run):
    cwd, _ = smoke_run
    (run_dir,) = run_dirs(cwd)
    result = run_cli("--resume", str(run_dir), "--epochs", "5", "--set", "training.seed=1", cwd=cwd)
    assert result.returncode == 2
    assert result.stderr.strip().endswith(f"error: --resume continues {run_dir} with the config it recorded; "
                                          "--set, --epochs would be ignored (start a new run to change them)")
    assert run_dirs(cwd) == [run_dir]


def test_a_run_is_evaluated_from_another_folder_and_on_moved_data(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {f"x_{s}": rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8) for s, n in (("train", 96), ("test", 32))}
    arrays.update({f"y_{s}": rng.integers(0, 10, n) for s, n in (("train", 96), ("test", 32))})
    (tmp_path / "a").mkdir()
    np.savez(tmp_path / "a" / "data.npz", **arrays)
    trained = run_cli("--preset", "smoke", "--data", "data.npz", cwd=tmp_path / "a")
    assert trained.returncode == 0, trained.stderr[-3000:]
    (run_dir,) = run_dirs(tmp_path / "a")
    recorded = json.loads((run_dir / "results.json").read_text())
    assert recorded["config"]["data"]["source"] == str(tmp_path / "a" / "data.npz")  # absolute
    (tmp_path / "b").mkdir()
    here = run_cli("evaluate", str(run_dir), "--json", cwd=tmp_path / "b")
    assert here.returncode == 0, here.stderr[-3000:]
    (tmp_path / "a" / "data.npz").rename(tmp_path / "b" / "moved.npz")
    gone = run_cli("evaluate", str(run_dir), cwd=tmp_path / "b")
    assert gone.returncode == 2 and "data.npz" in gone.stderr
    moved = run_cli("evaluate", str(run_dir), "--data", "moved.npz", "--json", cwd=tmp_path / "b")
    assert moved.returncode == 0, moved.stderr[-3000:]
    for result in (here, moved):
        metrics = json.loads(result.stdout[result.stdout.index("{"):])
        np.testing.assert_allclose(metrics["accuracy"], recorded["test"]["accuracy"], atol=1e-6)
