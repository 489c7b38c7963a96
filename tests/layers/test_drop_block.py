import numpy as np
import pytest
from keras import ops

from kerasreg.layers import DropBlock2D
from kerasreg.layers.drop_block import dropblock_seed_probability
from tests.layer_harness import forward_and_grads, run_layer_test


def test_harness():
    run_layer_test(lambda: DropBlock2D(0.2, block_size=3, seed=1), (2, 8, 8, 3), (2, 8, 8, 3))


# The tolerance is 5 % of the rate, so a rate off by 10 % fails. Units in one
# block are dropped together, so the sample is counted in block origins, not
# units: each shape is sized so that the standard deviation of the dropped
# fraction (measured over 30 seeds, noted) is at most a quarter of the
# tolerance; a block of 7 on 8x8 maps has only 4 origins per map.
@pytest.mark.parametrize(
    "rate, block_size, shape",
    [
        (0.05, 3, (256, 32, 32, 16)),  # sd 0.00033, tolerance 0.0025
        (0.1, 3, (128, 32, 32, 16)),  # sd 0.0006, tolerance 0.005
        (0.25, 5, (64, 32, 32, 16)),  # sd 0.0018, tolerance 0.0125
        (0.1, 7, (2048, 8, 8, 64)),  # sd 0.00076, tolerance 0.005; most units are near a border
        (0.3, 1, (16, 16, 16, 32)),  # sd 0.0013, tolerance 0.015; block_size 1 is plain dropout
    ],
)
def test_expected_drop_fraction_equals_rate(rate, block_size, shape):
    out = ops.convert_to_numpy(DropBlock2D(rate, block_size, seed=3)(np.ones(shape, "float32"), training=True))
    assert abs((out == 0).mean() - rate) < 0.05 * rate
    # Rescaled by the kept fraction of the batch: the mean is preserved.
    assert abs(out.mean() - 1.0) < 1e-4


def test_seed_probability_solves_the_coverage_equation():
    height, width, block, rate = 10, 7, 3, 0.2
    gamma = float(ops.convert_to_numpy(dropblock_seed_probability(height, width, block, rate)))
    # Reference by brute force: how many valid origins cover each unit.
    counts = np.zeros((height, width))
    for i in range(height - block + 1):
        for j in range(width - block + 1):
            counts[i:i + block, j:j + block] += 1
    np.testing.assert_allclose((1 - (1 - gamma) ** counts).mean(), rate, rtol=1e-5)
    # The paper's closed form ignores borders and overlaps, and drops less.
    closed_form = rate / block**2 * height * width / ((height - block + 1) * (width - block + 1))
    assert (1 - (1 - closed_form) ** counts).mean() < rate - 0.01


def _covered_by_full_blocks(zero, block):
    """Every dropped unit lies in some block x block window that is entirely dropped."""
    height, width = zero.shape
    covered = np.zeros_like(zero)
    for i in range(height - block + 1):
        for j in range(width - block + 1):
            if zero[i:i + block, j:j + block].all():
                covered[i:i + block, j:j + block] = True
    return (covered == zero).all()


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_drops_contiguous_square_blocks(data_format):
    shape = (4, 12, 12, 3) if data_format == "channels_last" else (4, 3, 12, 12)
    out = ops.convert_to_numpy(
        DropBlock2D(0.15, 4, data_format=data_format, seed=5)(np.ones(shape, "float32"), training=True)
    )
    if data_format == "channels_first":
        out = out.transpose(0, 2, 3, 1)
    assert (out == 0).any()
    for example in range(4):
        for channel in range(3):
            assert _covered_by_full_blocks(out[example, :, :, channel] == 0, 4)


def test_block_larger_than_map_is_clipped():
    # Each 4x4 map is one draw (dropped whole or kept): 16,384 maps, standard
    # error 0.0039, so the tolerance 0.025 (5 % of 0.5) is 6 of them.
    out = ops.convert_to_numpy(DropBlock2D(0.5, 9, seed=0)(np.ones((8192, 4, 4, 2), "float32"), training=True))
    maps = out.transpose(0, 3, 1, 2).reshape(-1, 16)
    assert set(np.unique((maps == 0).sum(axis=1))) <= {0, 16}, "the clipped block covers the whole 4x4 map"
    assert abs((out == 0).mean() - 0.5) < 0.025


def test_inference_identity_masks_differ_and_gradient():
    x = np.random.default_rng(0).uniform(1, 2, size=(8, 10, 10, 4)).astype("float32")
    layer = DropBlock2D(0.2, 3, seed=2)
    np.testing.assert_array_equal(ops.convert_to_numpy(layer(x)), x)
    a, b = (ops.convert_to_numpy(layer(x, training=True)) for _ in range(2))
    assert ((a == 0) != (b == 0)).any()
    y, dx, _ = forward_and_grads(layer, x)
    assert (dx[y == 0] == 0).all() and (dx[y != 0] > 1).all()
