"""A model using every kerasreg layer survives `.keras` saving into a fresh process."""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np

from kerasreg.layers import (
    AdaptiveDropout,
    ConcreteDropout,
    DropBlock2D,
    DropConnectConv2D,
    DropConnectDense,
    GhostBatchNormalization,
    MCDropout,
    MultiSampleDropout,
    ScheduledDropout,
    StochasticDepth,
)
from kerasreg.models import MultiSampleModel

LOAD_AND_PREDICT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import keras
    import kerasreg  # registers the layers: no custom_objects below

    model = keras.models.load_model(sys.argv[1])
    x = np.load(sys.argv[2])
    np.save(sys.argv[3], model.predict(x, verbose=0))
    """
)


def _every_layer_model():
    inputs = keras.Input((8, 8, 3))
    x = DropConnectConv2D(6, 3, rate=0.2, padding="same", seed=1)(inputs)
    x = GhostBatchNormalization(virtual_batch_size=4)(x)
    x = keras.layers.ReLU()(x)
    x = DropBlock2D(0.1, block_size=3, seed=2)(x)
    x = x + StochasticDepth(0.2, seed=3)(keras.layers.Conv2D(6, 1)(x))
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = DropConnectDense(16, rate=0.3, activation="relu", seed=4)(x)
    x = AdaptiveDropout(alpha=1.0, beta=0.5, seed=5)(x)
    x = ScheduledDropout(0.3, warmup_steps=5, seed=6)(x)
    x = ConcreteDropout(keras.layers.Dense(12, activation="relu"), seed=7)(x)
    x = MCDropout(0.2, seed=8)(x)  # samples at inference
    outputs = MultiSampleDropout(keras.layers.Dense(4, activation="softmax"), num_samples=3, seed=9)(x)
    return MultiSampleModel(inputs, outputs)


def _restart_seed_streams(model):
    """Puts every seed generator back at its seed, as a freshly loaded model has it."""
    for layer in model._flatten_layers():
        generator = getattr(layer, "seed_generator", None)
        if generator is not None and layer.seed is not None:
            fresh = keras.random.SeedGenerator(layer.seed)
            generator.state.assign(np.array(keras.ops.convert_to_numpy(fresh.state)))


def test_saved_model_gives_identical_outputs_in_a_fresh_process(tmp_path):
    model = _every_layer_model()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 8, 8, 3)).astype("float32")
    model.fit(x, rng.integers(0, 4, size=16), batch_size=8, epochs=2, verbose=0)

    path = tmp_path / "every_layer.keras"
    model.save(path)
    np.save(tmp_path / "x.npy", x)
    _restart_seed_streams(model)
    expected = model.predict(x, verbose=0)

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", LOAD_AND_PREDICT, str(path), str(tmp_path / "x.npy"), str(tmp_path / "y.npy")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), expected, rtol=1e-5, atol=1e-6)
    # The comparison is not vacuous: the MC layer really samples.
    assert not np.allclose(model.predict(x, verbose=0), expected)


def test_config_round_trip_of_the_whole_model():
    model = _every_layer_model()
    clone = MultiSampleModel.from_config(model.get_config())
    assert [type(layer).__name__ for layer in clone.layers] == [type(layer).__name__ for layer in model.layers]
    assert clone.count_params() == model.count_params()
