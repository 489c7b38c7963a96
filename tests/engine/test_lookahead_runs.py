"""training.lookahead_steps in a run: it changes training, an interrupted run resumes exactly, bad values exit early."""

import keras
import pytest

from kerasreg.config import ConfigError
from kerasreg import engine
from kerasreg.recipes.cifar import EXPERIMENT

SETS = ["data.synthetic_examples=256", "training.epochs=3", "training.lookahead_steps=3"]


def config(*extra):
    return EXPERIMENT.resolve(preset="smoke", overrides=[*SETS, *extra], log=lambda *_: None)


class Interrupt(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lookahead")
    _, with_lookahead = engine.train(config(), EXPERIMENT, run_dir=str(folder / "on"), log=lambda *_: None)
    _, without = engine.train(config("training.lookahead_steps=0"), EXPERIMENT, run_dir=str(folder / "off"),
                              log=lambda *_: None)  # fmt: skip
    return with_lookahead, without


def test_lookahead_changes_the_result(reference):
    with_lookahead, without = reference
    assert with_lookahead["test"]["loss"] != pytest.approx(without["test"]["loss"], rel=1e-4)


def test_an_interrupted_run_resumes_exactly(reference, tmp_path):
    expected, _ = reference
    run_dir = str(tmp_path / "run")
    with pytest.raises(KeyboardInterrupt):
        engine.train(config(), EXPERIMENT, run_dir=run_dir, log=lambda *_: None, callbacks=(Interrupt(),))
    _, results = engine.train(config(), EXPERIMENT, resume_dir=run_dir, log=lambda *_: None)
    for name in ("accuracy", "loss", "nll"):
        assert results["test"][name] == pytest.approx(expected["test"][name], rel=1e-4, abs=1e-5)


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("training.lookahead_steps=-1", "Received: training.lookahead_steps=-1"),
        ("training.lookahead_decay=1.5", "Expected a float in [0, 1]. Received: training.lookahead_decay=1.5"),
        ("training.lookahead_power=-2.0", "Received: training.lookahead_power=-2.0"),
    ],
)
def test_bad_lookahead_settings_are_rejected(assignment, message):
    with pytest.raises(ConfigError) as info:
        config(assignment)
    assert message in str(info.value)
