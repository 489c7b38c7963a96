"""The command line's first step: what it checks, and answers, before TensorFlow is loaded."""

import sys

import pytest

from tests import cli_runner

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _imported(stderr):
    """Top-level module names a ``python -X importtime`` process imported, and its other stderr lines."""
    modules, other = set(), []
    for line in stderr.splitlines():
        if line.startswith("import time:"):
            modules.add(line.rsplit("|", 1)[-1].strip().split(".")[0])
        elif line.strip():
            other.append(line)
    return modules, other


@pytest.mark.parametrize(
    "args, code, text",
    [
        (["--help"], 0, "--batch-size N"),
        (["compare", "--help"], 0, "comparison file"),
        (["--set", "training.epoch=3"], 2, "unknown config key 'training.epoch'"),
        (["--set", "regularization.dropout=drop"], 2, "dropout='drop'"),
        (["--data", "no/such/path"], 2, "--data='no/such/path': no such file or folder"),
        (["--config", "missing.toml"], 2, "config file not found: missing.toml"),
        (["--epochs", "x"], 2, "invalid int value: 'x'"),
        (["--resume", "not_a_run"], 2, "not a kerasreg run directory"),
        (["evaluate", "not_a_run"], 2, "not a kerasreg run directory"),
        (["evaluate", "not_a_run", "--shift-examples", "5"], 2, "--corruptions and --shift-examples apply to --shift only"),
        (["evaluate", "not_a_run", "--shift", "--corruptions", "fog"], 2, "unknown corruption 'fog'; choose from"),
        (["uncertainty", "--preset", "smoke", "--members", "1"], 2, "--members must be an integer >= 2; got 1"),
        (["compare", "missing.toml"], 2, "missing.toml"),
        (["--set", "schedule.name=cosine_annealing"], 2, "name='cosine_annealing'"),
        (["--preset", "smoke", "--set", "schedule.warmup_epochs=5"], 2, "warmup_epochs=5 leaves none of the 1-epoch run"),
        (["--preset", "cpu", "--print-config"], 0, "[training]"),
        # An existing data path is recorded absolute, without loading the data package.
        (["--data", "data.npz", "--set", "schedule.name=bogus"], 2, "name='bogus'"),
    ],
)
def test_help_and_bad_input_answer_without_loading_tensorflow(tmp_path, args, code, text):
    # A real `python -m` process: only a fresh interpreter shows what was imported.
    (tmp_path / "not_a_run").mkdir()
    (tmp_path / "data.npz").write_bytes(b"")
    result = cli_runner.subprocess_run("-X", "importtime", "-m", "kerasreg.recipes.cifar", *args, cwd=tmp_path)
    modules, stderr = _imported(result.stderr)
    assert result.returncode == code, (result.stdout[-2000:], stderr)
    assert not {"tensorflow", "keras", "jax", "keras_tuner"} & modules
    if code == 0:
        assert text in result.stdout
    else:
        assert len(stderr) == 1 and text in stderr[0], stderr


def _flat(text):
    return " ".join(text.split())  # argparse wraps help text at the terminal's width


def test_help_shows_each_flags_default_under_the_chosen_preset(tmp_path):
    from kerasreg.recipes.cifar import EXPERIMENT

    for preset in ("cpu", "smoke"):
        result = cli_runner.cifar("train", "--preset", preset, "--help", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        help_text = _flat(result.stdout)
        values = EXPERIMENT.presets[preset]
        assert f"training epochs; default {values['training.epochs']} with preset {preset}" in help_text
        assert f"training batch size; default {values['training.batch_size']} with preset {preset}" in help_text
    # The top level lists the commands and the flags of train, the default command.
    top = _flat(cli_runner.cifar("--help", cwd=tmp_path).stdout)
    for text in ("compare", "tune", "find-lr", "--epochs N", "--print-config", "--resume RUN_DIR"):
        assert text in top
    find = _flat(cli_runner.cifar("find-lr", "--help", cwd=tmp_path).stdout)
    assert "the range's lowest learning rate (default 1e-06)" in find


def test_print_config_prints_toml_that_config_reads_back(tmp_path):
    first = cli_runner.cifar("--preset", "smoke", "--epochs", "3", "--set", "regularization.dropout=mc",
                             "--print-config", cwd=tmp_path)  # fmt: skip
    assert first.returncode == 0, first.stderr
    printed = tomllib.loads(first.stdout)
    assert printed["training"]["epochs"] == 3
    assert printed["regularization"]["dropout"] == "mc"
    assert printed["data"]["source"] == "synthetic"
    assert not (tmp_path / "logs").exists(), "printing trains nothing"
    (tmp_path / "printed.toml").write_text(first.stdout)
    again = cli_runner.cifar("--config", "printed.toml", "--print-config", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert tomllib.loads(again.stdout) == printed


def test_a_batch_whose_activations_exceed_memory_is_refused_before_the_run(tmp_path, monkeypatch):
    from kerasreg.engine import preparation as prepare_module

    # As if this machine had 64 MiB: the smoke model's batch of 32 needs more.
    monkeypatch.setattr(prepare_module, "_memory_bytes", lambda: 64 * 2**20)
    monkeypatch.setattr(prepare_module, "activation_bytes", lambda model, batch, shape=None: batch * 4 * 2**20)
    result = cli_runner.cifar("--preset", "smoke", cwd=tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]
    assert "training.batch_size=32 needs at least" in line and "use at most about 16" in line
    assert not (tmp_path / "logs" / "cifar").exists() or not any((tmp_path / "logs" / "cifar").iterdir())


def test_activation_bytes_counts_every_layer_output_twice():
    import keras

    from kerasreg.engine.preparation import activation_bytes

    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(hidden))
    # Input 4 + Dense 8 + Dense 2 values per example, float32, forward and gradient.
    assert activation_bytes(model, 10) == (4 + 8 + 2) * 4 * 2 * 10

    # A model for any image size (progressive resizing) is counted at the size it is given.
    images = keras.Input((None, None, 1))
    any_size = keras.Model(images, keras.layers.Conv2D(3, 1)(images))
    assert activation_bytes(any_size, 10) is None
    assert activation_bytes(any_size, 10, (5, 6, 1)) == (30 * 1 + 30 * 3) * 4 * 2 * 10


def test_help_into_a_closed_pipe_ends_without_a_traceback(tmp_path):
    # `--help | head -0`: the reader is gone before the help is written.
    import os
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(cli_runner.ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "kerasreg.recipes.cifar", "--help"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)  # fmt: skip
    process.stdout.close()
    stderr = process.stderr.read().decode()
    process.wait(timeout=60)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
