"""Trials release their traced graphs: TensorFlow's gradient registry does not grow across a search."""

import contextlib

import keras
import pytest

tf = pytest.importorskip("tensorflow")

from kerasreg.recipes.cifar import EXPERIMENT  # noqa: E402
from kerasreg.tuning import load_space, run_search, search  # noqa: E402
from kerasreg.engine.graph_memory import PREFIX, _registry, forget_custom_gradients  # noqa: E402
from tests.tuning.harness import BASE, write_space  # noqa: E402

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="a TensorFlow registry")


def custom_gradient_keys():
    return {k for k in _registry() if k.startswith(PREFIX)}


def trace_custom_gradient(scale):
    """Traces (graph mode) a function with a custom gradient; returns d/dx of it at x=1."""

    @tf.custom_gradient
    def doubled_gradient(x):
        return tf.identity(x), lambda dy: scale * dy

    @tf.function
    def gradient(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = doubled_gradient(x)
        return tape.gradient(y, x)

    return float(gradient(tf.constant(1.0)))


def test_only_entries_registered_inside_the_block_are_removed():
    assert trace_custom_gradient(2.0) == 2.0
    outside = custom_gradient_keys()
    with forget_custom_gradients():
        assert trace_custom_gradient(3.0) == 3.0  # the gradient works while it is registered
        inside = custom_gradient_keys() - outside
        assert len(inside) == 1
    after = custom_gradient_keys()
    assert after == outside  # the earlier entry stays, the block's one is gone


def test_a_search_leaves_no_trial_graph_registered(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    space_path = write_space(tmp_path)
    config = EXPERIMENT.resolve(preset="smoke", overrides=[a for a in BASE if "=" in a],
                                values={"logging.logdir": str(tmp_path / "logs")}, derive_schedule=False,
                                log=lambda *_: None)  # fmt: skip
    space = load_space(space_path, config)
    before = custom_gradient_keys()
    inside_trials, after_trials = [], []

    @contextlib.contextmanager
    def recording():
        with forget_custom_gradients():
            yield
            inside_trials.append(len(custom_gradient_keys() - before))

    monkeypatch.setattr(search, "forget_custom_gradients", recording)
    root, results = run_search(EXPERIMENT, config, space, kind="random", max_trials=3, log=lambda *_: None,
                               trial_end_hook=lambda trial: after_trials.append(len(custom_gradient_keys() - before)))  # fmt: skip
    assert [t["status"] for t in results["trials"]] == ["COMPLETED"] * 3
    # Each trial's traced train step registered gradients (the leak) ...
    assert len(inside_trials) == 3 and all(n > 0 for n in inside_trials)
    # ... released when the trial ended ...
    assert after_trials == [0, 0, 0]
    # ... and the search as a whole (best-trial test evaluation included) leaves nothing behind.
    assert custom_gradient_keys() == before
