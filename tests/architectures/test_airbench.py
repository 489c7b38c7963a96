"""The airbench net: airbench94's layout at full resolution."""

import keras
import pytest

from kerasreg.architectures import Regularization, build_model, estimate_flops
from tests.architectures.harness import GRAY, NUM_CLASSES, RGB, fit_one_step


def _airbench(shape=RGB, regularization=None, **arguments):
    return build_model(
        "airbench", input_shape=shape, num_classes=NUM_CLASSES, regularization=regularization or Regularization(), **arguments
    )


def test_budget_widths_and_map_sizes():
    model = _airbench()
    assert estimate_flops(model) == 118_147_360  # multiply-adds, ~3.1x the fast net's 37.8M
    assert model.count_params() == 1_975_096
    assert [model.get_layer(f"block{b}_conv2").filters for b in (1, 2, 3)] == [64, 256, 256]
    # 32 -> 31 (2x2 valid stem) -> 15 -> 7 -> 3: pools round down, like airbench's.
    assert model.get_layer("stem").output.shape == (None, 31, 31, 24)
    assert [model.get_layer(f"block{b}_conv2").output.shape[1] for b in (1, 2, 3)] == [15, 7, 3]


def test_stem_is_sized_for_whitening_whatever_the_width():
    assert _airbench(width=16).get_layer("stem").filters == 24
    assert _airbench(GRAY, width=16).get_layer("stem").filters == 8
    assert [_airbench(width=16).get_layer(f"block{b}_conv1").filters for b in (1, 2, 3)] == [16, 64, 64]


def test_first_width_sizes_the_first_block_alone():
    model = _airbench(width=24, first_width=16)
    assert [model.get_layer(f"block{b}_conv{c}").filters for b in (1, 2, 3) for c in (1, 2)] == [16, 16, 96, 96, 96, 96]
    # Multiply-adds by hand: stem 31x31 (2x2x3 -> 24), block 1 at 31x31 then 15x15, block 2 at
    # 15x15 then 7x7, block 3 at 7x7 then 3x3, every conv 3x3; the classifier 96 -> 10.
    macs = 31 * 31 * 4 * 3 * 24
    macs += 9 * (31 * 31 * 24 * 16 + 15 * 15 * 16 * 16)
    macs += 9 * (15 * 15 * 16 * 96 + 7 * 7 * 96 * 96)
    macs += 9 * (7 * 7 * 96 * 96 + 3 * 3 * 96 * 96)
    assert estimate_flops(model) == macs + 96 * NUM_CLASSES
    # Left out, the first block has the width of the others' base.
    assert _airbench(width=24).get_layer("block1_conv2").filters == 24


def test_pool_comes_before_batch_norm_and_the_stem_has_none():
    names = [layer.name for layer in _airbench(width=4).layers]
    block = names.index("block1_conv1")
    assert names[block : block + 4] == ["block1_conv1", "block1_conv1_pool", "block1_conv1_bn", "block1_conv1_act"]
    assert names[names.index("stem") + 1] == "stem_act"
    assert "stem_bn" not in names


def test_without_batch_norm_the_pooled_conv_keeps_its_bias_and_trains():
    model = _airbench(width=4, regularization=Regularization(batch_norm=False))
    assert model.get_layer("block1_conv1").use_bias
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers)
    fit_one_step(model)


def test_depth_is_fixed():
    with pytest.raises(ValueError, match="Received: depth=3"):
        _airbench(depth=3)
