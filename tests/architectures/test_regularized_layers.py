"""Batch norm, its position, Ghost BN and weight decay reach every builder the same way."""

import keras
import numpy as np
import pytest

from kerasreg.architectures import Regularization, RegularizedLayers, build_model, model_names
from kerasreg.layers import GhostBatchNormalization
from tests.architectures.harness import NUM_CLASSES, RGB, SMALL, fit_one_step, images, layer_types


def _build(name, seed=0, **fields):
    return build_model(
        name,
        input_shape=RGB,
        num_classes=NUM_CLASSES,
        regularization=Regularization(**fields),
        seed=seed,
        **SMALL[name],
    )


def _kernel_layers(model):
    """Every layer with a kernel, wrapped heads included."""
    found = []
    for layer in model._flatten_layers(include_self=False):
        if getattr(layer, "kernel", None) is not None:
            found.append(layer)
    return found


def _batch_norms(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]


@pytest.mark.parametrize("name", model_names())
def test_batch_norm_off_removes_every_norm_and_gives_convs_biases(name):
    model = _build(name, batch_norm=False)
    assert not _batch_norms(model)
    assert all(layer.use_bias for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
    fit_one_step(model)


@pytest.mark.parametrize("name", model_names())
def test_batch_norm_before_activation_drops_the_conv_bias(name):
    model = _build(name)
    norms = _batch_norms(model)
    assert norms and not any(isinstance(layer, GhostBatchNormalization) for layer in norms)
    assert all(layer.momentum == 0.9 for layer in norms)
    # airbench's stem has no batch norm after it (it is the whitening layer), so it keeps its bias.
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [layer.name for layer in convs if layer.use_bias] == (["stem"] if name == "airbench" else [])


@pytest.mark.parametrize("name", model_names())
def test_ghost_batch_norm_replaces_every_norm(name):
    plain, ghost = _build(name), _build(name, ghost_batch_size=2, bn_momentum=0.6, bn_scale=False)
    ghosts = _batch_norms(ghost)
    assert len(ghosts) == len(_batch_norms(plain))
    assert all(isinstance(layer, GhostBatchNormalization) and layer.virtual_batch_size == 2 for layer in ghosts)
    assert all(layer.momentum == 0.6 and not layer.scale for layer in ghosts)
    fit_one_step(ghost)


@pytest.mark.parametrize("name", model_names())
def test_bn_momentum_and_frozen_scale_reach_every_norm(name):
    model = _build(name, bn_momentum=0.6, bn_scale=False)
    norms = _batch_norms(model)
    assert norms and all(layer.momentum == 0.6 and not layer.scale for layer in norms)
    # No gamma left to train: every batch norm contributes its beta only.
    assert not [v for v in model.trainable_variables if v.path.endswith("/gamma")]
    assert sum(v.path.endswith("/beta") for v in model.trainable_variables) == len(norms)
    fit_one_step(model)


def test_bn_momentum_is_the_weight_of_the_old_statistics():
    model = _build("cnn", bn_momentum=0.6)
    norm = _batch_norms(model)[0]
    x = images(batch=8)
    features = keras.Model(model.inputs, norm.input)(x, training=False)
    batch_mean = np.mean(keras.ops.convert_to_numpy(features), axis=(0, 1, 2))
    before = keras.ops.convert_to_numpy(norm.moving_mean).copy()
    norm(features, training=True)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(norm.moving_mean), 0.6 * before + 0.4 * batch_mean, rtol=1e-4, atol=1e-5
    )


def test_after_activation_order_in_the_cnn():
    before = layer_types(_build("cnn"))
    after = layer_types(_build("cnn", bn_position="after_activation"))
    assert before[1:4] == ["Conv2D", "BatchNormalization", "Activation"]
    assert after[1:4] == ["Conv2D", "Activation", "BatchNormalization"]
    assert after.count("BatchNormalization") == before.count("BatchNormalization") == 4


def test_after_activation_order_in_the_resnet_block():
    model = _build("resnet", bn_position="after_activation")
    names = [layer.name for layer in model.layers]
    stem = names.index("stem")
    assert names[stem : stem + 3] == ["stem", "stem_act", "stem_bn"]
    first = names.index("stage1_block1_conv1")
    assert names[first : first + 3] == ["stage1_block1_conv1", "stage1_block1_conv1_act", "stage1_block1_conv1_bn"]
    # The last conv of a branch has no activation before the addition: conv-BN.
    last = names.index("stage1_block1_conv2")
    assert names[last + 1] == "stage1_block1_conv2_bn"
    # A conv followed by an activation keeps its bias, one followed by BN drops it.
    assert model.get_layer("stage1_block1_conv1").use_bias
    assert not model.get_layer("stage1_block1_conv2").use_bias
    fit_one_step(model)


def test_after_activation_order_in_the_fast_net():
    names = [layer.name for layer in _build("fast", bn_position="after_activation").layers]
    i = names.index("block2_conv1")
    assert names[i : i + 3] == ["block2_conv1", "block2_conv1_act", "block2_conv1_bn"]


@pytest.mark.parametrize("name", model_names())
@pytest.mark.parametrize("dropout, placement", [("none", "head"), ("dropconnect", "both"), ("multisample", "head"), ("concrete", "head")])
def test_l2_mode_regularizes_every_kernel_and_nothing_else(name, dropout, placement):
    model = _build(name, weight_decay_mode="l2", weight_decay=1e-3, dropout=dropout, dropout_placement=placement, dropout_rate=0.2)
    kernels = _kernel_layers(model)
    assert kernels
    for layer in kernels:
        assert isinstance(layer.kernel_regularizer, keras.regularizers.L2)
        assert layer.kernel_regularizer.l2 == pytest.approx(5e-4)
        assert getattr(layer, "bias_regularizer", None) is None
    for layer in _batch_norms(model):
        assert layer.gamma_regularizer is None and layer.beta_regularizer is None
    model(images(), training=False)
    assert len(model.losses) == len(kernels)
    # Each loss is weight_decay / 2 * ||kernel||^2.
    expected = sorted(5e-4 * float(np.sum(np.square(layer.kernel.numpy()))) for layer in kernels)
    np.testing.assert_allclose(sorted(float(loss) for loss in model.losses), expected, rtol=1e-5)


@pytest.mark.parametrize("name", model_names())
@pytest.mark.parametrize("mode", ["decoupled", "none"])
def test_other_modes_add_no_regularizer(name, mode):
    model = _build(name, weight_decay_mode=mode, dropout="dropconnect", dropout_placement="both")
    assert all(layer.kernel_regularizer is None for layer in _kernel_layers(model))
    model(images(), training=False)
    assert not model.losses


def test_same_seed_same_model_other_seed_other_weights():
    first, again, other = _build("cnn", seed=3), _build("cnn", seed=3), _build("cnn", seed=4)
    for a, b in zip(first.weights, again.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(first.weights[0].numpy(), other.weights[0].numpy())


def test_same_seed_same_initial_weights_whatever_the_dropout():
    plain = _build("cnn", seed=5)
    dropped = _build("cnn", seed=5, dropout="dropconnect", dropout_placement="both")
    for a, b in zip(plain.weights, dropped.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_same_seed_same_training_noise():
    outputs = []
    for _ in range(2):
        model = _build("cnn", seed=7, dropout="mc", dropout_placement="both", dropout_rate=0.3)
        outputs.append([np.asarray(model(images(), training=True)) for _ in range(2)])
    np.testing.assert_array_equal(outputs[0][0], outputs[1][0])
    np.testing.assert_array_equal(outputs[0][1], outputs[1][1])
    assert not np.array_equal(outputs[0][0], outputs[0][1])


def test_regularized_layers_needs_a_regularization():
    with pytest.raises(ValueError, match="Received: regularization="):
        RegularizedLayers({"dropout": "mc"})
    with pytest.raises(ValueError, match="Received: seed=-1"):
        RegularizedLayers(Regularization(), seed=-1)
