"""Tuned comparisons' files: equal budgets or a one-line error, and the grids and random draws they tune over."""

import math

import pytest

from kerasreg.comparison.spec import TUNING_SEED_OFFSET, load_comparison, tuning_budget, variant_space
from kerasreg.config import ConfigError, ExperimentConfig
from kerasreg.tuning.space import grid_points, parameter_values, random_points, space_from_dict

HEAD = """
name = "t"
seeds = 2
baseline = "none"
"""

NONE_AND_DROPOUT = """
[variants.none]
"regularization.dropout" = "none"

[variants.dropout]
"regularization.dropout" = "dropout"
"""


def _load(tmp_path, text, config=ExperimentConfig()):
    path = tmp_path / "c.toml"
    path.write_text(HEAD + text)
    return load_comparison(str(path), check_config=config)


def test_a_shared_grid_gives_every_variant_the_same_points(tmp_path):
    spec = _load(tmp_path, """
[tune]
[tune.hyperparameters."schedule.learning_rate"]
type = "float"
min = 0.01
max = 1.0
step = 10
sampling = "log"
""" + NONE_AND_DROPOUT)
    assert spec.tune.tuner == "grid" and spec.tune.seed_for(7) == 7 + TUNING_SEED_OFFSET
    config = ExperimentConfig()
    assert tuning_budget("c", spec, config) == {"none": 3, "dropout": 3}
    points = [grid_points(variant_space(spec, v, config, "c")) for v in spec.variants]
    assert points[0] == points[1] == [{"schedule.learning_rate": pytest.approx(r)} for r in (0.01, 0.1, 1.0)]


def test_variants_may_tune_keys_of_their_own_at_the_same_budget(tmp_path):
    spec = _load(tmp_path, """
[tune]
trials = 3

[variants.none]
"regularization.dropout" = "none"
[variants.none.tune."schedule.learning_rate"]
type = "choice"
values = [0.01, 0.03, 0.1]

[variants.dropout]
"regularization.dropout" = "dropout"
[variants.dropout.tune."regularization.dropout_rate"]
type = "choice"
values = [0.05, 0.1, 0.2]
""")
    config = ExperimentConfig()
    assert tuning_budget("c", spec, config) == {"none": 3, "dropout": 3}
    dropout = grid_points(variant_space(spec, spec.variant("dropout"), config, "c"))
    assert [p["regularization.dropout_rate"] for p in dropout] == [0.05, 0.1, 0.2]


@pytest.mark.parametrize("text, message", [
    # A smaller grid is a smaller budget.
    ("""
[tune]
[tune.hyperparameters."schedule.learning_rate"]
type = "choice"
values = [0.01, 0.1]
[variants.none]
"regularization.dropout" = "none"
[variants.dropout]
"regularization.dropout" = "dropout"
[variants.dropout.tune."regularization.dropout_rate"]
type = "choice"
values = [0.1, 0.2]
""", "every variant's grid to have 2 points; they have none: 2, dropout: 4"),
    ("""
[tune]
trials = 5
[tune.hyperparameters."schedule.learning_rate"]
type = "choice"
values = [0.01, 0.1]
""" + NONE_AND_DROPOUT, "[tune] trials = 5 needs every variant's grid to have 5 points"),
    ('[tune]\ntuner = "random"\n[tune.hyperparameters."schedule.learning_rate"]\ntype = "float"\nmin = 0.01\n'
     'max = 0.1\n' + NONE_AND_DROPOUT, "a random tuner needs trials = N"),
    ('[tune]\ntuner = "bayesian"\ntrials = 3\n' + NONE_AND_DROPOUT, "tuner must be one of grid, random; got 'bayesian'"),
    ("[tune]\ntrials = 0\n" + NONE_AND_DROPOUT, "trials must be an integer >= 1; got 0"),
    ("[tune]\nbudget = 3\n" + NONE_AND_DROPOUT, "unknown entry 'budget'"),
    ("[tune]\ntrials = 3\n" + NONE_AND_DROPOUT, "variant 'none' has nothing to tune"),
    ("""
[tune]
[tune.hyperparameters."regularization.dropout"]
type = "choice"
values = ["none", "dropout"]
""" + NONE_AND_DROPOUT, "variant 'none' both sets and tunes 'regularization.dropout'"),
    ("""
[tune]
[tune.hyperparameters."schedule.learning_rate"]
type = "float"
min = 0.01
max = 0.1
""" + NONE_AND_DROPOUT, "'schedule.learning_rate' is a float without step, so it has no grid"),
    ("""
[tune]
[tune.hyperparameters."regularization.dropout_rat"]
type = "choice"
values = [0.1]
""" + NONE_AND_DROPOUT, "regularization.dropout_rat"),
])  # fmt: skip
def test_an_unequal_or_meaningless_budget_is_one_line_naming_it(tmp_path, text, message):
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, text)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_grid_values_equal_keras_tuners_own_grid():
    import keras_tuner as kt

    config = ExperimentConfig()
    space = space_from_dict({
        "schedule.learning_rate": {"type": "float", "min": 0.001, "max": 1.0, "step": 10, "sampling": "log"},
        "regularization.dropout_rate": {"type": "float", "min": 0.1, "max": 0.5, "step": 0.1},
        "regularization.block_size": {"type": "int", "min": 3, "max": 9, "step": 2},
    }, config)  # fmt: skip
    hps = kt.HyperParameters()
    space.declare(hps)
    for parameter, declared in zip(space.hyperparameters, hps.space):
        assert parameter_values(parameter) == pytest.approx(list(declared.values)), parameter.name


def test_a_conditional_hyperparameter_varies_only_under_its_condition():
    config = ExperimentConfig()
    space = space_from_dict({
        "regularization.dropout": ["none", "dropout", "dropblock"],
        "regularization.block_size": {"type": "int", "min": 3, "max": 5, "step": 2,
                                      "when": {"regularization.dropout": ["dropblock"]}},
        "regularization.batch_norm": {"type": "bool"},
    }, config)  # fmt: skip
    points = grid_points(space)
    # none and dropout: 2 each (batch norm); dropblock: 2 block sizes x 2.
    assert len(points) == 8 and len({tuple(sorted(p.items())) for p in points}) == 8
    assert sum("regularization.block_size" in p for p in points) == 4


def test_random_points_are_distinct_seeded_log_uniform_and_shared_across_spaces():
    config = ExperimentConfig()
    rate = {"type": "float", "min": 1e-4, "max": 1.0, "sampling": "log"}
    alone = space_from_dict({"schedule.learning_rate": rate}, config)
    points = random_points(alone, 400, seed=3)
    rates = [p["schedule.learning_rate"] for p in points]
    assert len(set(rates)) == 400 and all(1e-4 <= r <= 1.0 for r in rates)
    # Log-uniform: half below the geometric middle 1e-2 (binomial sd 0.025); uniform would put 1 % there.
    assert 0.42 < sum(r < 1e-2 for r in rates) / 400 < 0.58
    assert abs(sum(math.log10(r) for r in rates) / 400 + 2) < 0.15
    assert random_points(alone, 400, seed=3) == points and random_points(alone, 5, seed=4) != points[:5]
    # The same rates at the same indices for a variant whose space adds a key of its own.
    both = space_from_dict({"schedule.learning_rate": rate, "regularization.dropout_rate": ("linear", 0.0, 0.5)},
                           config)  # fmt: skip
    assert [p["schedule.learning_rate"] for p in random_points(both, 20, seed=3)] == rates[:20]


def test_a_space_with_fewer_distinct_points_than_trials_is_refused():
    space = space_from_dict({"regularization.batch_norm": {"type": "bool"}}, ExperimentConfig())
    with pytest.raises(ConfigError, match="found only 2 distinct points"):
        random_points(space, 3, seed=0)


def test_experiment_compare_takes_the_same_tune_table(tmp_path):
    import numpy as np

    import kerasreg
    from tests.engine.user_models import dropout_cnn

    x = np.zeros((32, 8, 8, 3), "uint8")
    exp = kerasreg.Experiment(model=dropout_cnn, data=(x, np.zeros(32, "int64")), logdir=str(tmp_path))
    variants = {"none": {"regularization.dropout_rate": 0.0, "tune": {"schedule.learning_rate": {
        "type": "choice", "values": [0.01, 0.1]}}}, "dropout": {"regularization.dropout_rate": 0.3}}
    with pytest.raises(ConfigError, match="variant 'dropout' has nothing to tune"):
        exp.compare(variants, tune={"tuner": "grid"}, log=lambda *_: None)
    with pytest.raises(ConfigError, match="tuner must be one of grid, random; got 'hyperband'"):
        exp.compare(variants, tune={"tuner": "hyperband"}, log=lambda *_: None)
    assert not any(tmp_path.iterdir())  # nothing written
