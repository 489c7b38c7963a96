"""Every dropout variant at every placement where it makes sense builds the right layers and trains."""

import keras
import numpy as np
import pytest

from kerasreg.architectures import DROPOUTS, PLACEMENTS, Regularization, build_model
from kerasreg.layers import (
    AdaptiveDropout,
    ConcreteDropout,
    DropBlock2D,
    DropConnectConv2D,
    DropConnectDense,
    MCDropout,
    MultiSampleDropout,
    ScheduledDropout,
    StochasticDepth,
)
from kerasreg.models import MultiSampleModel
from tests.architectures.harness import GRAY, NUM_CLASSES, RGB, fit_one_step, images

DEPTH = 2  # cnn stages: the "blocks" placement puts one layer after each
# The layer each activation-dropping variant inserts.
ACTIVATION_LAYERS = {
    "dropout": keras.layers.Dropout,
    "spatial": keras.layers.SpatialDropout2D,
    "mc": MCDropout,
    "adaptive": AdaptiveDropout,
    "dropblock": DropBlock2D,
    "scheduled": ScheduledDropout,
}


def _valid_combinations():
    for dropout in DROPOUTS:
        for placement in PLACEMENTS:
            try:
                Regularization(dropout=dropout, dropout_placement=placement)
            except ValueError:
                continue
            yield dropout, placement


COMBINATIONS = list(_valid_combinations())


def _cnn(dropout, placement, shape=RGB, **fields):
    regularization = Regularization(
        dropout=dropout, dropout_placement=placement, dropout_rate=0.2, multisample_count=3, **fields
    )
    return build_model(
        "cnn", input_shape=shape, num_classes=NUM_CLASSES, regularization=regularization,
        width=4, depth=DEPTH, seed=0,
    )


def _count(model, cls):
    return sum(isinstance(layer, cls) for layer in model.layers)


def test_the_combinations():
    assert len(COMBINATIONS) == 22
    assert ("spatial", "blocks") in COMBINATIONS and ("spatial", "head") not in COMBINATIONS


@pytest.mark.parametrize("dropout, placement", COMBINATIONS, ids=[f"{d}-{p}" for d, p in COMBINATIONS])
def test_builds_the_variant_and_fits_one_step(dropout, placement):
    model = _cnn(dropout, placement)
    head = placement in ("head", "both")
    blocks = placement in ("blocks", "both")
    if dropout in ACTIVATION_LAYERS:
        cls = ACTIVATION_LAYERS[dropout]
        assert _count(model, cls) == DEPTH * blocks + head
        if head:  # right before the classifier
            assert isinstance(model.layers[-2], cls)
    elif dropout == "dropconnect":
        assert _count(model, DropConnectConv2D) == 2 * DEPTH * blocks
        assert isinstance(model.layers[-1], DropConnectDense) == head
    elif dropout == "multisample":
        assert isinstance(model.layers[-1], MultiSampleDropout)
        assert model.layers[-1].num_samples == 3
    elif dropout == "concrete":
        assert isinstance(model.layers[-1], ConcreteDropout)
        assert model.layers[-1].rate == pytest.approx(0.2)
    else:
        assert type(model.layers[-1]) is keras.layers.Dense
        assert not any(isinstance(layer, keras.layers.Dropout) for layer in model.layers)
    assert isinstance(model, MultiSampleModel) == (dropout == "multisample")
    assert model.output_shape == (None, NUM_CLASSES)
    fit_one_step(model)


def test_multisample_trains_on_stacked_samples_and_predicts_one_row_per_example():
    model = _cnn("multisample", "head")
    assert type(model) is MultiSampleModel
    assert tuple(model(images(), training=True).shape) == (3 * 4, NUM_CLASSES)
    assert tuple(model(images(), training=False).shape) == (4, NUM_CLASSES)


def test_adaptive_keeps_a_zero_activation_with_probability_one_minus_rate():
    layer = next(layer for layer in _cnn("adaptive", "head").layers if isinstance(layer, AdaptiveDropout))
    assert 1.0 / (1.0 + np.exp(-layer.beta)) == pytest.approx(0.8)


def test_variant_parameters_reach_the_layers():
    model = _cnn("dropblock", "blocks", block_size=5)
    assert all(layer.block_size == 5 for layer in model.layers if isinstance(layer, DropBlock2D))
    model = _cnn("scheduled", "both", scheduled_warmup_steps=7)
    assert all(layer.warmup_steps == 7 for layer in model.layers if isinstance(layer, ScheduledDropout))


@pytest.mark.parametrize("dropout, placement", [("dropblock", "blocks"), ("multisample", "head")])
def test_fashion_mnist_shape(dropout, placement):
    fit_one_step(_cnn(dropout, placement, shape=GRAY), shape=GRAY)


def test_resnet_stochastic_depth_ramp_over_all_blocks():
    regularization = Regularization(stochastic_depth=0.3)
    model = build_model("resnet", input_shape=RGB, num_classes=NUM_CLASSES, regularization=regularization, width=4, depth=14, seed=0)
    rates = [layer.rate for layer in model.layers if isinstance(layer, StochasticDepth)]
    assert rates == pytest.approx([0.3 * (i + 1) / 6 for i in range(6)])  # 3 stages x 2 blocks
    # Each sits on a residual branch, right before its addition.
    for layer in model.layers:
        if isinstance(layer, StochasticDepth):
            assert layer.name.endswith("_drop_path")
            assert layer.name.replace("_drop_path", "_conv2_bn") in [n.name for n in model.layers]
    fit_one_step(model)


def test_resnet_with_block_dropout_and_stochastic_depth():
    regularization = Regularization(dropout="dropblock", dropout_placement="blocks", dropout_rate=0.1, stochastic_depth=0.2)
    model = build_model("resnet", input_shape=GRAY, num_classes=NUM_CLASSES, regularization=regularization, width=4, depth=8, seed=0)
    assert _count(model, DropBlock2D) == 3 and _count(model, StochasticDepth) == 3
    fit_one_step(model, shape=GRAY)


def test_fast_with_dropconnect_everywhere():
    regularization = Regularization(dropout="dropconnect", dropout_placement="both", dropout_rate=0.1)
    model = build_model("fast", input_shape=RGB, num_classes=NUM_CLASSES, regularization=regularization, width=4, seed=0)
    assert _count(model, DropConnectConv2D) == 6  # the block convs, not the stem
    assert isinstance(model.get_layer("classifier"), DropConnectDense)
    fit_one_step(model)


@pytest.mark.parametrize("name", ["cnn", "fast"])
def test_stochastic_depth_on_a_model_without_residual_blocks_raises(name):
    with pytest.raises(ValueError) as info:
        build_model(name, input_shape=RGB, num_classes=NUM_CLASSES, regularization=Regularization(stochastic_depth=0.1))
    assert str(info.value) == (
        "Invalid value received for argument `regularization.stochastic_depth`. "
        f"Expected 0 for model '{name}', which has no residual blocks. "
        "Received: regularization.stochastic_depth=0.1"
    )
