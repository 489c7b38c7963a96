"""The oracle behind tuned and multi-machine comparisons, driven by hand as two workers would drive it."""

import json

import keras_tuner as kt

from kerasreg.comparison.dispatch import best_point, comparison_oracle
from kerasreg.engine import Objective

LOW, HIGH = {"schedule.learning_rate": 0.01}, {"schedule.learning_rate": 0.1}


class _Tuner(kt.Tuner):
    def run_trial(self, trial, *args, **kwargs):  # never called: the test hands trials out itself
        raise AssertionError


def _oracle(tmp_path, plan, seeds=(0, 1)):
    oracle = comparison_oracle(plan, list(plan), list(seeds), Objective("val_accuracy", "max"), seed=0)
    _Tuner(oracle=oracle, directory=str(tmp_path), project_name="p")  # gives the oracle its folder
    return oracle


def _take(oracle, worker):
    trial = oracle.create_trial(worker)
    values = trial.hyperparameters.values
    if not values:
        return trial, str(trial.status)
    return trial, (values["variant"], values["stage"], values["index"], json.loads(values["values"]))


def _end(oracle, trial, score):
    oracle.update_trial(trial.trial_id, {"val_accuracy": score})
    trial.status = "COMPLETED"
    oracle.end_trial(trial)


def test_tuning_first_then_each_variants_seeds_at_its_best_as_soon_as_its_tuning_ends(tmp_path):
    oracle = _oracle(tmp_path, {"a": [LOW, HIGH], "b": [LOW, HIGH]})
    a0, got = _take(oracle, "w1")
    assert got == ("a", "tune", 0, LOW)
    b0, got = _take(oracle, "w2")
    assert got == ("b", "tune", 0, LOW)
    _end(oracle, a0, 0.5)
    a1, got = _take(oracle, "w1")
    assert got == ("a", "tune", 1, HIGH)
    _end(oracle, b0, 0.7)
    b1, got = _take(oracle, "w2")
    assert got == ("b", "tune", 1, HIGH)
    _end(oracle, b1, 0.6)
    # b's tuning has ended (LOW won); a's has not, so only b's seeds can start.
    b_seed0, got = _take(oracle, "w2")
    assert got == ("b", "final", 0, LOW)
    _end(oracle, b_seed0, 0.7)
    b_seed1, got = _take(oracle, "w2")
    assert got == ("b", "final", 1, LOW)
    _end(oracle, b_seed1, 0.7)
    assert _take(oracle, "w2")[1] == "IDLE"  # waiting on a's last tuning run
    _end(oracle, a1, 0.9)
    assert oracle.tuned("a")[:2] == (HIGH, 0.9)
    for seed, worker in ((0, "w1"), (1, "w2")):
        trial, got = _take(oracle, worker)
        assert got == ("a", "final", seed, HIGH)
        _end(oracle, trial, 0.9)
    assert _take(oracle, "w1")[1] == "STOPPED"


def test_an_untuned_comparison_hands_out_its_runs_seed_major(tmp_path):
    oracle = _oracle(tmp_path, {"a": [], "b": []}, seeds=(3, 4))
    order = []
    for _ in range(4):
        trial, got = _take(oracle, "w")
        order.append(got[:3])
        assert got[3] == {}
        _end(oracle, trial, 0.5)
    assert order == [("a", "final", 3), ("b", "final", 3), ("a", "final", 4), ("b", "final", 4)]
    assert _take(oracle, "w")[1] == "STOPPED"


def test_a_variant_whose_tuning_all_failed_runs_no_seeds_and_the_rest_finish(tmp_path):
    oracle = _oracle(tmp_path, {"a": [LOW], "b": [LOW]}, seeds=(0,))
    a0, _ = _take(oracle, "w")
    a0.status = "FAILED"
    oracle.end_trial(a0)
    b0, _ = _take(oracle, "w")
    _end(oracle, b0, 0.4)
    trial, got = _take(oracle, "w")
    assert got == ("b", "final", 0, LOW)
    _end(oracle, trial, 0.4)
    assert _take(oracle, "w")[1] == "STOPPED" and oracle.tuned("a") == (None, None, True)


def test_the_best_point_is_the_highest_and_the_earliest_on_a_tie():
    trials = [(0, LOW, 0.5), (1, HIGH, 0.5), (2, {"x": 1}, None), (3, {"x": 2}, float("nan"))]
    assert best_point(trials, "max") == (LOW, 0.5)
    assert best_point([(0, LOW, 0.4), (1, HIGH, 0.2)], "min") == (HIGH, 0.2)
    assert best_point([(0, LOW, None)], "max") == (None, None)
