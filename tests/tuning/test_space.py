"""Search spaces: validation of the TOML, conditions, defaults, and mapping values onto a config."""

import keras_tuner as kt
import pytest

from kerasreg.config import ConfigError, ExperimentConfig, resolve
from kerasreg.tuning import load_space
from tests.tuning.harness import SPACE, run_tune, write_space


def base():
    return resolve(ExperimentConfig(), overrides=['regularization.dropout_placement="blocks"'])


def test_declares_conditions_and_defaults(tmp_path):
    space = load_space(write_space(tmp_path), base())
    assert space.name == "smoke"
    assert space.names() == ["regularization.dropout", "regularization.block_size", "schedule.learning_rate"]
    hp = kt.HyperParameters()
    assert space.declare(hp) == {"regularization.dropout": "none", "schedule.learning_rate": 0.01}
    chosen = kt.HyperParameters()
    chosen.values["regularization.dropout"] = "dropblock"  # as an oracle would have set it
    assert space.declare(chosen) == {"regularization.dropout": "dropblock", "regularization.block_size": 3,
                                     "schedule.learning_rate": 0.01}  # fmt: skip


def test_default_comes_from_the_recipe_when_not_given(tmp_path):
    text = '[hyperparameters."training.label_smoothing"]\ntype = "float"\nmin = 0.0\nmax = 0.3\n'
    space = load_space(write_space(tmp_path, text), base())
    assert space.hyperparameters[0].default == 0.0 and space.name == "space"


def test_apply_sets_values_and_a_new_schedule_name_starts_its_table_afresh(tmp_path):
    space = load_space(write_space(tmp_path), base())
    config = space.apply(base(), {"regularization.dropout": "dropblock", "regularization.block_size": 5,
                                  "schedule.learning_rate": 0.1})  # fmt: skip
    assert (config.regularization.dropout, config.regularization.block_size) == ("dropblock", 5)
    assert config.schedule == {**base().schedule, "learning_rate": 0.1}
    switched = space.apply(base(), {"schedule.name": "one_cycle", "schedule.max_learning_rate": 0.5})
    assert switched.schedule == {"name": "one_cycle", "max_learning_rate": 0.5}


@pytest.mark.parametrize(
    "text, message",
    [
        ('[hyperparameters."regularization.droput"]\ntype = "choice"\nvalues = ["none"]\n',
         "hyperparameter 'regularization.droput': unknown key of [regularization]"),
        ('[hyperparameters."nosection.key"]\ntype = "bool"\n', "not a config key"),
        ('[hyperparameters."schedule.learning_rate"]\ntype = "float"\nmin = 0.5\nmax = 0.1\ndefault = 0.2\n',
         "min must be <= max; got min=0.5, max=0.1"),
        ('[hyperparameters."schedule.learning_rate"]\ntype = "float"\nmin = 0.0\nmax = 1.0\nsampling = "log"\n',
         "log sampling needs min > 0; got min=0.0"),
        ('[hyperparameters."schedule.learning_rate"]\ntype = "real"\n', "type must be one of choice, int, float, bool"),
        ('[hyperparameters."regularization.block_size"]\ntype = "int"\nmin = 3\nmax = 7\nwhen = {"regularization.dropout" = ["dropblock"]}\n',
         "not an earlier hyperparameter"),
        ('[hyperparameters."regularization.dropout_rate"]\ntype = "float"\nmin = 0.2\nmax = 0.4\n',
         "the experiment's value (regularization.dropout_rate = 0.5; give a default)"),
        ('[hyperparameters."training.batch_size"]\ntype = "int"\nmin = 32\nmax = 256\ndefault = 512\n',
         "default must be an integer in [min, max]"),
        ("[hyperparameters]\n", "no [hyperparameters"),
        ('tuner = "random"\n', "unknown entry 'tuner'"),
    ],
)
def test_bad_spaces_are_one_line_config_errors(tmp_path, text, message):
    with pytest.raises(ConfigError) as error:
        load_space(write_space(tmp_path, text), base())
    assert message in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--tuner", "annealing"], "invalid choice: 'annealing'"),
        (["--max-trials", "0"], "--max-trials must be >= 1; got 0"),
        (["--distributed", "worker"], "--distributed worker needs --oracle HOST:PORT"),
        (["--space", "missing.toml"], "config file not found: missing.toml"),
        (["--space", "bad.toml"], "min must be <= max"),
    ],
)
def test_bad_tune_input_exits_2_with_one_line(tmp_path, args, message):
    write_space(tmp_path)
    write_space(tmp_path, SPACE.replace("min = 0.01", "min = 0.5").replace("default = 0.01", "default = 0.05"), "bad.toml")
    if "--space" not in args:
        args = ["--space", "space.toml", *args]
    result = run_tune(tmp_path, *args)
    assert result.returncode == 2, (result.stdout[-2000:], result.stderr[-2000:])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert not (tmp_path / "logs").exists(), "nothing half-written"


def test_the_shipped_cifar_space_loads_against_the_recipe_and_its_presets():
    from pathlib import Path

    from kerasreg.recipes.cifar import EXPERIMENT

    path = Path(__file__).resolve().parents[2] / "recipes" / "cifar-tune.toml"
    for preset in ("smoke", "cpu", "gpu"):
        config = EXPERIMENT.resolve(preset=preset, derive_schedule=False, log=lambda *_: None)
        space = load_space(path, config)
        hp = kt.HyperParameters()
        hp.values.update({"regularization.dropout": "dropblock", "regularization.batch_norm": True})
        values = space.declare(hp)
        trial = space.apply(config, values)  # a valid config: DropBlock after the blocks
        assert trial.regularization.dropout_placement == "blocks" and trial.regularization.block_size == 3
