import keras
import numpy as np
import pytest

from kerasreg.schedules import (
    Constant,
    CyclicalLearningRate,
    OneCycle,
    WarmUp,
    create_schedule,
    schedule_names,
)

KERAS = keras.optimizers.schedules


@pytest.mark.parametrize(
    "config, cls, attributes",
    [
        ({"name": "constant", "learning_rate": 0.1}, Constant, {"learning_rate": 0.1}),
        ({"name": "step", "learning_rate": 0.1, "decay_epochs": 30}, KERAS.ExponentialDecay, {"decay_steps": 3000, "staircase": True, "decay_rate": 0.1}),
        ({"name": "exponential", "learning_rate": 0.1, "decay_steps": 50, "decay_rate": 0.9}, KERAS.ExponentialDecay, {"decay_steps": 50, "staircase": False}),
        ({"name": "cosine", "learning_rate": 0.1, "decay_epochs": 2.5}, KERAS.CosineDecay, {"decay_steps": 250}),
        ({"name": "cosine_restarts", "learning_rate": 0.1, "first_decay_epochs": 1}, KERAS.CosineDecayRestarts, {"first_decay_steps": 100}),
        ({"name": "linear", "learning_rate": 0.1, "decay_epochs": 2, "end_learning_rate": 0.01}, KERAS.PolynomialDecay, {"decay_steps": 200, "power": 1.0, "end_learning_rate": 0.01}),
        ({"name": "cyclical", "base_learning_rate": 1e-3, "max_learning_rate": 1e-2, "step_size_epochs": 4}, CyclicalLearningRate, {"step_size": 400}),
        ({"name": "one_cycle", "max_learning_rate": 0.1, "total_epochs": 10, "pct_start": 0.25}, OneCycle, {"total_steps": 1000, "pct_start": 0.25}),
    ],
)
def test_names_build_the_right_schedule(config, cls, attributes):
    schedule = create_schedule(config, steps_per_epoch=100)
    assert type(schedule) is cls
    for key, value in attributes.items():
        assert getattr(schedule, key) == value, key


def test_warmup_composition_and_the_single_epoch_conversion():
    schedule = create_schedule(
        {"name": "warmup_one_cycle", "max_learning_rate": 0.1, "total_epochs": 3, "warmup_epochs": 0.5, "warmup_mode": "exponential", "warmup_initial_learning_rate": 1e-5},
        steps_per_epoch=40,
    )
    assert isinstance(schedule, WarmUp) and isinstance(schedule.schedule, OneCycle)
    assert (schedule.warmup_steps, schedule.schedule.total_steps, schedule.mode) == (20, 120, "exponential")
    # Epochs and steps are interchangeable.
    by_steps = create_schedule({"name": "warmup_cosine", "learning_rate": 0.1, "decay_steps": 120, "warmup_steps": 20}, 40)
    by_epochs = create_schedule({"name": "warmup_cosine", "learning_rate": 0.1, "decay_epochs": 3, "warmup_epochs": 0.5}, 40)
    for step in (0, 10, 20, 70, 140, 500):
        assert float(by_steps(step)) == float(by_epochs(step))


def test_every_listed_name_builds():
    required = {
        "learning_rate": 0.1, "decay_steps": 10, "first_decay_steps": 10, "base_learning_rate": 0.01,
        "max_learning_rate": 0.1, "step_size": 5, "total_steps": 50, "warmup_steps": 3,
    }
    from kerasreg.schedules.factory import SCHEDULES, WARMUP_ARGUMENTS

    for name in schedule_names():
        base = name.removeprefix("warmup_")
        allowed = set(SCHEDULES[base][1]) | (set(WARMUP_ARGUMENTS) if name.startswith("warmup_") else set())
        config = {"name": name, **{k: v for k, v in required.items() if k in allowed}}
        schedule = create_schedule(config, steps_per_epoch=10)
        assert np.isfinite(float(schedule(7)))


@pytest.mark.parametrize(
    "config, message",
    [
        ({"name": "cosine_annealing", "learning_rate": 0.1}, "name='cosine_annealing'"),
        ({"name": "cosine", "learning_rate": 0.1, "decay_steps": 10, "gamma": 2}, "schedule 'cosine': unknown `gamma` (allowed: alpha, decay_epochs, decay_steps, learning_rate)"),
        ({"name": "cosine", "learning_rate": 0.1}, "missing `decay_steps` (or `decay_epochs`); e.g. --set schedule.decay_epochs=10"),
        ({"name": "cosine", "learning_rate": 0.1, "decay_steps": 10, "decay_epochs": 1}, "not both"),
        ({"name": "cosine", "learning_rate": 0.1, "decay_epochs": -1}, "`decay_epochs` must be a number > 0 (received decay_epochs=-1)"),
        ({"name": "cyclical", "base_learning_rate": 0.1, "max_learning_rate": 0.01, "step_size": 5}, "max_learning_rate=0.01"),
        ({"name": "warmup_constant", "learning_rate": 0.1}, "missing `warmup_steps` (or `warmup_epochs`); e.g. --set schedule.warmup_epochs=1"),
        ({"learning_rate": 0.1}, "Expected a mapping with a 'name' key"),
        ({"name": "warmup_linear", "learning_rate": 0.1, "warmup_fraction": 0.2}, "needs the run's length"),
    ],
)
def test_bad_configs(config, message):
    with pytest.raises(ValueError) as error:
        create_schedule(config, steps_per_epoch=10)
    assert message in str(error.value)


def test_bad_steps_per_epoch():
    with pytest.raises(ValueError, match="steps_per_epoch=0"):
        create_schedule({"name": "constant", "learning_rate": 0.1}, 0)


def test_with_run_length_fills_only_missing_run_lengths():
    from kerasreg.schedules import with_run_length

    assert with_run_length({"name": "warmup_cosine", "learning_rate": 0.1, "warmup_epochs": 2}, 10)["decay_epochs"] == 8
    assert with_run_length({"name": "one_cycle", "max_learning_rate": 0.1}, 7)["total_epochs"] == 7
    explicit = {"name": "cosine", "learning_rate": 0.1, "decay_steps": 50}
    assert with_run_length(explicit, 10) == explicit
    step = {"name": "step", "learning_rate": 0.1, "decay_epochs": 3}
    assert with_run_length(step, 10) == step
    schedule = create_schedule(with_run_length({"name": "warmup_cosine", "learning_rate": 0.1, "warmup_epochs": 1}, 5), 10)
    assert float(schedule(50)) == pytest.approx(0.0, abs=1e-7), "the cosine ends with the run"


def test_warmup_linear_is_airbenchs_triangle():
    """Up from 0.2 x peak to the peak in 3 epochs, then a straight line down to 0.07 x peak at the run's end."""
    from kerasreg.schedules import with_run_length

    config = with_run_length({"name": "warmup_linear", "learning_rate": 0.4, "warmup_fraction": 0.3,
                              "warmup_initial_learning_rate": 0.08, "end_learning_rate": 0.028}, 10)  # fmt: skip
    assert "warmup_fraction" not in config
    assert config["warmup_epochs"] == pytest.approx(3) and config["decay_epochs"] == pytest.approx(7)
    schedule = create_schedule(config, steps_per_epoch=10)
    for step, expected in [(0, 0.08), (15, 0.24), (30, 0.4), (65, 0.214), (100, 0.028), (130, 0.028)]:
        assert float(schedule(step)) == pytest.approx(expected, rel=1e-5), step


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"warmup_fraction": 1.0}, "`warmup_fraction` must be a number in [0, 1) (received warmup_fraction=1.0)"),
        ({"warmup_fraction": 0.2, "warmup_epochs": 1}, "not both"),
    ],
)
def test_bad_warmup_fractions(extra, message):
    from kerasreg.schedules import with_run_length

    with pytest.raises(ValueError) as error:
        with_run_length({"name": "warmup_linear", "learning_rate": 0.1, **extra}, 10)
    assert message in str(error.value)


@pytest.mark.parametrize("warmup, epochs", [(2, 1), (3, 3)])
def test_a_warmup_as_long_as_the_run_is_named_not_the_decay(warmup, epochs):
    from kerasreg.schedules import with_run_length

    with pytest.raises(ValueError) as error:
        with_run_length({"name": "warmup_cosine", "learning_rate": 0.1, "warmup_epochs": warmup}, epochs)
    message = str(error.value)
    assert f"warmup_epochs={warmup} leaves none of the {epochs}-epoch run for cosine" in message
    assert "--set schedule.warmup_epochs=" in message and "decay_steps" not in message


def test_every_missing_and_unknown_argument_is_named_in_one_line_with_set_examples():
    with pytest.raises(ValueError) as error:
        create_schedule({"name": "cyclical", "base_learning_rate": 0.01, "gamma2": 1, "mode_": "x"}, steps_per_epoch=10)
    message = str(error.value)
    assert "\n" not in message
    assert message == (
        "Invalid config for schedule 'cyclical': unknown `gamma2`, `mode_` (allowed: base_learning_rate, gamma, "
        "max_learning_rate, mode, step_size, step_size_epochs); missing `max_learning_rate`, `step_size` "
        "(or `step_size_epochs`); e.g. --set schedule.max_learning_rate=0.1 --set schedule.step_size_epochs=2"
    )


def test_every_required_argument_has_a_set_example():
    from kerasreg.schedules.factory import EXAMPLES, SCHEDULES, WARMUP_ARGUMENTS

    required = {k for _, allowed in SCHEDULES.values() for k, d in allowed.items() if d is None}
    required |= {k for k, d in WARMUP_ARGUMENTS.items() if d is None}
    assert required <= set(EXAMPLES)
    for example in EXAMPLES.values():  # each one is a valid value of its argument
        key, value = example.split("=")
        assert float(value) > 0 and key in {*required, *(k.replace("_steps", "") + "_epochs" for k in required)}


def test_a_warmup_as_long_as_the_run_and_a_missing_rate_are_named_together():
    from kerasreg.schedules import with_run_length

    with pytest.raises(ValueError) as error:
        with_run_length({"name": "warmup_linear", "warmup_epochs": 4, "end_learning_rate": 0.0}, 4)
    assert str(error.value) == (
        "Invalid config for schedule 'warmup_linear': warmup_epochs=4 leaves none of the 4-epoch run for linear "
        "(give a shorter warmup or more epochs); missing `learning_rate`; "
        "e.g. --set schedule.warmup_epochs=1 --set schedule.learning_rate=0.1"
    )


def test_a_bad_warmup_fraction_is_named_with_the_other_problems_not_as_a_missing_warmup():
    from kerasreg.schedules import with_run_length

    with pytest.raises(ValueError) as error:
        with_run_length({"name": "warmup_cosine", "warmup_fraction": 1.5, "alpha": 0.0, "beta": 1}, 10)
    message = str(error.value)
    assert "`warmup_fraction` must be a number in [0, 1) (received warmup_fraction=1.5)" in message
    assert "unknown `beta`" in message and "missing `learning_rate`;" in message
    assert "warmup_steps` (or" not in message and "decay_steps` (or" not in message


def test_the_cli_names_the_warmup_of_a_file_longer_than_the_run(tmp_path):
    from tests import cli_runner

    (tmp_path / "long-warmup.toml").write_text('[schedule]\nname = "warmup_cosine"\nlearning_rate = 0.1\nwarmup_epochs = 2\n')
    result = cli_runner.cifar("--preset", "smoke", "--config", "long-warmup.toml", "--epochs", "1", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == ("python -m kerasreg.recipes.cifar: error: Invalid config for schedule "
                                     "'warmup_cosine': warmup_epochs=2 leaves none of the 1-epoch run for cosine "
                                     "(give a shorter warmup or more epochs); e.g. --set schedule.warmup_epochs=0.25")
    assert not (tmp_path / "logs").exists()
