"""`enable_mc` / `disable_mc`: a copy in which dropout does / does not sample at inference, and nothing else changes."""

import keras
import numpy as np
import pytest
from keras import ops

from kerasreg.layers import (
    AdaptiveDropout,
    DropBlock2D,
    DropConnectDense,
    GhostBatchNormalization,
    MCDropout,
    StochasticDepth,
    disable_mc,
    enable_mc,
)


def _model():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.SpatialDropout2D(0.3, seed=1)(x)
    x = DropBlock2D(0.2, block_size=3, seed=2)(x)
    x = x + StochasticDepth(0.3, seed=3)(keras.layers.Conv2D(4, 1)(x))
    x = GhostBatchNormalization(virtual_batch_size=4)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.4, seed=4)(x)
    x = DropConnectDense(6, rate=0.3, seed=5)(x)
    x = AdaptiveDropout(seed=6)(x)
    outputs = keras.layers.Dense(2)(x)
    return keras.Model(inputs, outputs)


def test_copy_samples_original_untouched():
    model = _model()
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).normal(size=(16, 8, 8, 3)).astype("float32")
    model.fit(x, np.zeros((16, 2)), verbose=0)
    before = [w.copy() for w in model.get_weights()]

    mc_model = enable_mc(model)
    assert mc_model is not model
    for a, b in zip(mc_model.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    a, b = mc_model.predict(x, verbose=0), mc_model.predict(x, verbose=0)
    assert not np.allclose(a, b)

    # The original: deterministic, weights unchanged, layers not switched.
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    assert not any(getattr(layer, "mc", False) for layer in model.layers)
    # MC inference keeps batch norm in inference mode: moving statistics frozen.
    for a, b in zip(mc_model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    assert mc_model.compiled


def test_every_dropout_is_switched_and_nothing_else():
    mc_model = enable_mc(_model())
    kinds = {}
    for layer in mc_model.layers:
        kinds.setdefault(type(layer).__name__, []).append(layer)
    assert "Dropout" not in kinds and "SpatialDropout2D" not in kinds
    assert len(kinds["MCDropout"]) == 2
    for name in ("MCDropout", "DropBlock2D", "StochasticDepth", "DropConnectDense", "AdaptiveDropout"):
        assert all(layer.mc for layer in kinds[name]), name
    assert len(kinds["BatchNormalization"]) == 1 and len(kinds["GhostBatchNormalization"]) == 1
    assert len(kinds["Conv2D"]) == 2 and len(kinds["Dense"]) == 1


@pytest.mark.parametrize("rate", [0.5, 0.2])
def test_mc_copy_carries_the_rate_and_seed_of_each_dropout(rate):
    # 64,000 independent units: the standard error of the dropped fraction is
    # 0.002 at rate 0.5 and 0.0016 at 0.2, so the tolerance (5 % of the rate)
    # is over 6 of them, and a rate carried over 10 % off fails.
    x = np.ones((64, 1000), "float32")

    def seeded_model(seed):
        return keras.Sequential([keras.Input((1000,)), keras.layers.Dropout(rate, seed=seed)])

    def sample(model):
        mc_model = enable_mc(model)
        layer, original = mc_model.layers[0], model.layers[0]
        assert isinstance(layer, MCDropout) and (layer.rate, layer.seed) == (original.rate, original.seed)
        return ops.convert_to_numpy(mc_model(x))  # inference: one MC sample

    model = seeded_model(7)
    out = sample(model)
    assert abs((out == 0).mean() - rate) < 0.05 * rate
    np.testing.assert_allclose(out[out != 0], 1 / (1 - rate), rtol=1e-6)
    # The seed carries over: two copies of the model draw the same mask, the
    # one the original Dropout draws in training...
    np.testing.assert_array_equal(sample(model), out)
    np.testing.assert_array_equal(sample(seeded_model(7)), out)
    np.testing.assert_array_equal(ops.convert_to_numpy(keras.layers.Dropout(rate, seed=7)(x, training=True)), out)
    # ...and another seed an independent one: the masks disagree on 2r(1 - r)
    # of the units (standard error 0.002 at most).
    disagree = ((sample(seeded_model(8)) == 0) != (out == 0)).mean()
    assert abs(disagree - 2 * rate * (1 - rate)) < 0.05 * 2 * rate * (1 - rate)


def test_spatial_dropout_becomes_channel_mask():
    # 256 x 64 = 16,384 channels, each dropped as a whole: standard error
    # 0.0039, so the tolerance 0.025 (5 % of 0.5) is over 6 of them.
    model = keras.Sequential([keras.Input((2, 2, 64)), keras.layers.SpatialDropout2D(0.5, seed=0)])
    out = enable_mc(model).predict(np.ones((256, 2, 2, 64), "float32"), verbose=0)
    assert (out == out[:, :1, :1, :]).all(), "whole channels are dropped"
    assert abs((out == 0).mean() - 0.5) < 0.025
    mc_layer = enable_mc(model).layers[0]
    assert isinstance(mc_layer, MCDropout) and mc_layer.noise_shape == (None, 1, 1, None)


def test_rejects_unbuilt_and_non_models():
    with pytest.raises(ValueError, match="built model"):
        enable_mc(keras.Sequential([keras.layers.Dense(2)]))
    with pytest.raises(ValueError, match="Expected a keras.Model"):
        enable_mc(keras.layers.Dense(2))


def test_mc_copy_of_nested_model():
    inner = keras.Sequential([keras.Input((256,)), keras.layers.Dropout(0.5, seed=0)], name="inner")
    inputs = keras.Input((256,))
    outer = keras.Model(inputs, inner(inputs))
    # 16,384 units: standard error 0.0039, tolerance 0.025 (5 % of 0.5).
    out = ops.convert_to_numpy(enable_mc(outer)(np.ones((64, 256), "float32")))
    assert abs((out == 0).mean() - 0.5) < 0.025


def test_disable_mc_undoes_enable_mc_and_leaves_the_original_sampling():
    model = _model()
    x = np.random.default_rng(1).normal(size=(16, 8, 8, 3)).astype("float32")
    deterministic = model.predict(x, verbose=0)
    mc_model = enable_mc(model)
    assert not np.allclose(mc_model.predict(x, verbose=0), deterministic)

    off = disable_mc(mc_model)
    assert not any(getattr(layer, "mc", False) for layer in off.layers)
    for a, b in zip(off.get_weights(), mc_model.get_weights()):
        np.testing.assert_array_equal(a, b)
    # Keras dropouts came back as MCDropout(mc=False): the identity at inference, as they were.
    np.testing.assert_allclose(off.predict(x, verbose=0), deterministic, rtol=1e-6, atol=1e-6)
    # The MC copy it was made from still samples.
    assert not np.allclose(mc_model.predict(x, verbose=0), mc_model.predict(x, verbose=0))


def test_disable_mc_of_a_model_built_with_mc_layers():
    layer = MCDropout(0.5, seed=0)  # mc=True by default: samples at inference as built
    model = keras.Sequential([keras.Input((64,)), layer])
    x = np.ones((256, 64), "float32")  # 16,384 units: standard error 0.0039, tolerance 0.025
    assert abs((model.predict(x, verbose=0) == 0).mean() - 0.5) < 0.025
    np.testing.assert_array_equal(disable_mc(model).predict(x, verbose=0), x)
    assert layer.mc
    with pytest.raises(ValueError, match="disable_mc needs a built model"):
        disable_mc(keras.Sequential([keras.layers.Dense(2)]))
