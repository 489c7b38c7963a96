"""ResNet v1 for CIFAR: the paper's parameter counts, option-A shortcuts."""

import keras
import numpy as np
import pytest

from kerasreg.architectures import IdentityShortcut, Regularization, build_model
from tests.architectures.harness import NUM_CLASSES, RGB


def _trainable(model):
    return sum(int(np.prod(weight.shape)) for weight in model.trainable_weights)


@pytest.mark.parametrize("depth, paper", [(20, 0.27), (32, 0.46), (56, 0.85)])
def test_parameter_counts_match_he_et_al(depth, paper):
    # He et al. 2016, Table 6: 0.27M, 0.46M, 0.85M.
    model = build_model("resnet", input_shape=RGB, num_classes=NUM_CLASSES, regularization=Regularization(), depth=depth)
    assert model.name == f"resnet-{depth}"
    assert round(_trainable(model) / 1e6, 2) == paper
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) + 1 == depth  # 6n + 1 convolutions and the classifier
    assert sum(isinstance(layer, IdentityShortcut) for layer in model.layers) == 2


def test_stage_shapes_and_widths():
    model = build_model("resnet", input_shape=RGB, num_classes=NUM_CLASSES, regularization=Regularization(), width=8, depth=8)
    assert model.get_layer("stage1_block1_out").output.shape == (None, 32, 32, 8)
    assert model.get_layer("stage2_block1_out").output.shape == (None, 16, 16, 16)
    assert model.get_layer("stage3_block1_out").output.shape == (None, 8, 8, 32)
    assert model.get_layer("stage2_block1_shortcut").strides == 2


def test_identity_shortcut_subsamples_and_pads_with_zeros():
    x = np.random.default_rng(0).normal(size=(2, 7, 7, 3)).astype("float32")
    y = np.asarray(IdentityShortcut(5, strides=2)(x))
    assert y.shape == (2, 4, 4, 5)
    np.testing.assert_array_equal(y[..., :3], x[:, ::2, ::2, :])
    np.testing.assert_array_equal(y[..., 3:], 0.0)
    assert IdentityShortcut(5, strides=2).compute_output_shape((None, 7, 7, 3)) == (None, 4, 4, 5)
    config = IdentityShortcut(5, strides=2).get_config()
    assert IdentityShortcut.from_config(config).get_config() == config


def test_identity_shortcut_rejects_fewer_channels():
    with pytest.raises(ValueError, match="Expected at least the input's 4 channels. Received: filters=2"):
        IdentityShortcut(2)(np.ones((1, 4, 4, 4), "float32"))
    with pytest.raises(ValueError, match="Received: strides=0"):
        IdentityShortcut(2, strides=0)
