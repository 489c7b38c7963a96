"""The engine's GPU paths, run on a CPU: `MirroredStrategy` over logical devices, mixed float16, XLA.

Each test trains a seeded run two ways and compares the metrics with a
tolerance sized to the numerical difference the two ways must have.
"""

import json
import os
import subprocess
import sys

import keras
import pytest

import kerasreg
from kerasreg.engine import prepare, train
from tests.cli_runner import ROOT
from tests.engine import mirrored_runs

QUIET = dict(log=lambda *_: None)
# float32 rounding of the same sums in another order (a replica's half batch,
# then the all-reduce of two halves; XLA's fused kernels): about 1e-7
# relative per step, 1e-8 to 2e-7 measured after the runs' 12 steps.
SUMMATION = 1e-5
# Losses of float16 activations: float16 keeps 11 significant bits (unit
# roundoff 2**-11 = 4.9e-4) and rounds every layer's output, so logits and
# losses can move by about 1e-3 (9e-5 measured here).
FLOAT16 = 1e-2
SCORES = ("loss", "accuracy", "nll", "brier")  # ECE left out: one probability over a bin edge moves it by 1/32
NORMS = ("none", "plain", "synchronized")


@pytest.fixture(scope="module")
def mirrored_process(tmp_path_factory):
    """``wait() -> {norm: results.json}``: `mirrored_runs` on two logical CPUs, in a process of its own.

    Every test of this file asks for it, so that it starts with the first
    and this file's other runs train while it works.
    """
    folder = tmp_path_factory.mktemp("mirrored")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT),
           "KERASREG_CACHE": str(folder / "cache")}  # fmt: skip
    command = [sys.executable, mirrored_runs.__file__, str(folder / "results.json"), *NORMS]
    # Output to a file, not a pipe: nobody reads a pipe while the other tests run, and a full one would block it.
    with open(folder / "stderr.txt", "w") as stderr:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=stderr)

    def wait():
        assert process.wait(timeout=600) == 0, (folder / "stderr.txt").read_text()[-3000:]
        return json.loads((folder / "results.json").read_text())

    yield wait
    if process.poll() is None:  # a test of this file run alone
        process.kill()
        process.wait()


pytestmark = pytest.mark.usefixtures("mirrored_process")


def assert_same_metrics(results, expected, tolerance, accuracy_step=0.0):
    """Train, validation and test scores within ``tolerance`` (relative above 1), accuracy within ``accuracy_step``."""
    for part in ("train", "validation", "test"):
        for name in SCORES:
            if name not in expected[part]:
                continue
            value, reference = results[part][name], expected[part][name]
            allowed = accuracy_step + 1e-6 if name == "accuracy" else tolerance * max(1.0, abs(reference))
            assert abs(value - reference) <= allowed, (part, name, value, reference)


@pytest.fixture(scope="module")
def registry_runs(tmp_path_factory):
    """``run(**values) -> (model, results)``: a seeded registry CNN trained on `mirrored_runs.images`."""
    logdir = tmp_path_factory.mktemp("registry")
    experiment = kerasreg.Experiment(model=None, data=mirrored_runs.images(), logdir=str(logdir), name="registry")
    base = {**mirrored_runs.VALUES, "model.name": "cnn", "model.width": 8, "model.depth": 1,
            "regularization.bn_momentum": 0.5}  # fmt: skip

    def run(**values):
        config = experiment.resolve({**base, **values}, seed=0, epochs=2, **QUIET)
        prepared = prepare(config, experiment)
        return prepared.model, train(config, experiment, prepared=prepared, verbose=0, **QUIET)[1]

    return run


@pytest.fixture(scope="module")
def float32_run(registry_runs):
    model, results = registry_runs()
    assert not model.jit_compile and model.dtype_policy.name == "float32"
    return results


def test_mixed_float16_trains_with_loss_scaling_and_float32_logits(registry_runs, float32_run):
    model, results = registry_runs(**{"training.mixed_precision": "mixed_float16"})
    assert keras.config.dtype_policy().name == "mixed_float16"  # the run's policy (the suite resets it)
    conv = next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
    assert conv.compute_dtype == "float16" and conv.variable_dtype == "float32"
    # The loss is scaled up before the gradients (float16 would flush small
    # ones to zero) and the gradients scaled back before the SGD step.
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert model.optimizer.inner_optimizer.name.startswith("sgd") and float(model.optimizer.dynamic_scale) > 1
    _, _, x_test, y_test = mirrored_runs.images()
    x, y = x_test[:4].astype("float32") / 255.0, y_test[:4]
    logits = model(x)
    assert logits.dtype == "float32" and model.compute_loss(x, y, logits).dtype == "float32"
    # One of the 32 validation or test images may land on the other side of a near tie.
    assert_same_metrics(results, float32_run, FLOAT16, accuracy_step=1 / 32)


def test_jit_compile_trains_with_xla_to_the_float32_metrics(registry_runs, float32_run):
    model, results = registry_runs(**{"training.jit_compile": True})
    # Keras turns XLA off for a model with a layer that does not support it: every layer here does.
    assert model.jit_compile is True and results["config"]["training"]["jit_compile"] is True
    assert_same_metrics(results, float32_run, SUMMATION)


def test_two_logical_cpus_train_under_mirrored_strategy_as_one_device(mirrored_process, tmp_path):
    # Two replicas, each with its own half of every batch; three runs in one
    # process (the engine keeps one strategy per process: a new one's
    # collective keys would clash with the first run's).
    single = {norm: mirrored_runs.train(norm, tmp_path) for norm in ("none", "plain")}
    mirrored = mirrored_process()
    assert [mirrored[norm]["replicas_in_sync"] for norm in NORMS] == [2, 2, 2]
    assert "replicas_in_sync" not in single["none"]  # one device: the default strategy

    # Without batch norm the replicas take one device's steps: the same metrics.
    # The model learned, so steps that differ (gradients summed over the
    # replicas instead of averaged) would show.
    assert single["none"]["history"]["loss"][0] - single["none"]["history"]["loss"][-1] > 0.05
    assert_same_metrics(mirrored["none"], single["none"], SUMMATION)

    # Keras's BatchNormalization normalizes each replica's half batch with that half's statistics ...
    difference = abs(mirrored["plain"]["train"]["loss"] - single["plain"]["train"]["loss"])
    assert difference > 100 * SUMMATION, difference
    # ... unless synchronized=True: then with the whole batch's, as one device does.
    assert_same_metrics(mirrored["synchronized"], single["plain"], SUMMATION)
