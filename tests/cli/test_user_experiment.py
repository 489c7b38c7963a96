"""``python -m kerasreg COMMAND --experiment MODULE:NAME``: a user's own experiment through every path of the CLI."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import cli_runner

ROOT = Path(__file__).resolve().parents[2]

MODULE = textwrap.dedent('''
    import keras
    import numpy as np

    import kerasreg


    def quadrants():
        rng = np.random.default_rng(0)
        x = rng.uniform(-1, 1, size=(160, 2)).astype("float32")
        y = ((x[:, 0] > 0) * 2 + (x[:, 1] > 0)).astype("int64")  # which quadrant
        return x[:120], y[:120], x[120:], y[120:]


    def quadnet(hidden=16, *, input_shape, num_classes):
        inputs = keras.Input(input_shape)
        h = keras.layers.Dense(hidden, activation="relu")(inputs)
        return keras.Model(inputs, keras.layers.Dense(num_classes)(h))


    EXP = kerasreg.Experiment(model=quadnet, data=quadrants, name="quad",
                              config={"training.epochs": 2, "schedule.learning_rate": 0.01})
''')


def run(cwd, *args):
    """``python -m kerasreg ARGS`` in this process (`tests.cli_runner`)."""
    return cli_runner.kerasreg_cli(*args, cwd=cwd)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("user")
    (cwd / "usermod.py").write_text(MODULE)
    result = run(cwd, "train", "--experiment", "usermod:EXP", "--seed", "3")
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = (cwd / "logs" / "quad").iterdir()
    return cwd, run_dir, result


def test_train_runs_a_users_experiment_and_records_what_built_it(trained):
    cwd, run_dir, result = trained
    assert f"quad: {os.path.join('logs', 'quad', run_dir.name)}" in result.stdout
    assert json.loads((run_dir / "run.json").read_text()) == {"experiment": "quad", "reference": "usermod:EXP",
                                                               "model": "quadnet()"}  # fmt: skip
    results = json.loads((run_dir / "results.json").read_text())
    assert results["seed"] == 3 and results["config"]["model"] == {"hidden": 16}
    assert results["config"]["data"]["augment"] == [] and results["config"]["data"]["source"] == "quadrants()"


def test_evaluate_finds_the_experiment_from_the_run_alone(trained):
    cwd, run_dir, _ = trained
    result = run(cwd, "evaluate", str(run_dir))
    assert result.returncode == 0, result.stderr[-3000:]
    # The summary `train` prints, its test rows scored again.
    recorded = json.loads((run_dir / "results.json").read_text())["test"]
    (row,) = [line.split() for line in result.stdout.splitlines() if line.split()[:2] == ["test", "accuracy"]]
    assert row[2] == f"{recorded['accuracy']:.4f}"
    assert "results.json unchanged" in result.stdout


def test_printed_commands_and_errors_name_the_program_that_ran(trained):
    cwd, run_dir, _ = trained
    result = run(cwd, "train", "--experiment", "usermod:EXP", "--resume", str(run_dir))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"python -m kerasreg: error: run {run_dir} already finished (results.json "
                                     f"exists); use: python -m kerasreg evaluate --experiment usermod:EXP {run_dir}")


@pytest.mark.parametrize("args, message", [
    (["train"], "python -m kerasreg: error: name the experiment to run: --experiment MODULE:NAME"),
    (["train", "--experiment", "usermod:NOPE"], "python -m kerasreg: error: --experiment usermod:NOPE: usermod has "
                                                "no attribute 'NOPE'"),
    (["train", "--experiment", "nosuchmodule:EXP"], "python -m kerasreg: error: --experiment nosuchmodule:EXP: cannot "
                                                    "import nosuchmodule"),
    (["train", "--experiment", "usermod:EXP", "--set", "regularization.batch_norm=false"],
     "python -m kerasreg: error: quadnet() ignores regularization.batch_norm (it takes no `regularization` argument)"),
    (["train", "--experiment", "usermod:EXP", "--set", "model.width=3"],
     "python -m kerasreg: error: unknown config key 'model.width' in --set model.width=3; keys of [model]: hidden"),
])  # fmt: skip
def test_bad_input_is_one_line_and_exit_code_2_with_nothing_written(trained, args, message, tmp_path):
    cwd, _, _ = trained
    before = sorted((cwd / "logs" / "quad").iterdir())
    result = run(cwd, *args)
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith(message), result.stderr
    assert sorted((cwd / "logs" / "quad").iterdir()) == before


def test_a_recipes_command_line_evaluates_a_run_of_another_experiment(trained):
    cwd, run_dir, _ = trained
    result = cli_runner.cifar("evaluate", str(run_dir), "--json", cwd=cwd, importable=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "accuracy" in json.loads(result.stdout[result.stdout.index("{"):])


def test_a_users_own_script_names_itself_in_messages(trained):
    cwd, _, _ = trained
    (cwd / "myexp.py").write_text("import sys\n\nimport kerasreg.cli\nfrom usermod import EXP\n\n"
                                  "if __name__ == '__main__':\n    sys.exit(kerasreg.cli.main(EXP))\n")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "myexp.py", "train", "--set", "model.nope=1"], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=600)  # fmt: skip
    assert result.returncode == 2
    # (TensorFlow's own start-up notices may come first: the script imported it before kerasreg's CLI ran.)
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("python myexp.py: error: unknown config key 'model.nope'"), result.stderr
