import numpy as np
import pytest
from keras import ops

from kerasreg.layers import StochasticDepth, drop_path_rates
from tests.layer_harness import forward_and_grads, run_layer_test


def test_harness():
    run_layer_test(lambda: StochasticDepth(0.3, seed=1), (4, 5, 5, 2), (4, 5, 5, 2))


def test_drops_whole_examples():
    rate = 0.3
    out = ops.convert_to_numpy(StochasticDepth(rate, seed=2)(np.ones((100000, 3, 2), "float32"), training=True))
    per_example = out.reshape(len(out), -1)
    assert (per_example == per_example[:, :1]).all(), "one draw per example"
    assert abs((per_example[:, 0] == 0).mean() - rate) < 0.02
    np.testing.assert_allclose(per_example[per_example != 0], 1 / (1 - rate), rtol=1e-6)
    assert abs(out.mean() - 1.0) < 0.02


def test_modes_and_gradient():
    x = np.random.default_rng(0).uniform(1, 2, size=(64, 4)).astype("float32")
    layer = StochasticDepth(0.5, seed=3)
    np.testing.assert_array_equal(ops.convert_to_numpy(layer(x)), x)
    mc = StochasticDepth(0.5, seed=3, mc=True)
    assert (ops.convert_to_numpy(mc(x)) == 0).any()
    y, dx, _ = forward_and_grads(layer, x)
    assert (dx[y == 0] == 0).all() and np.allclose(dx[y != 0], 2.0)


def test_drop_path_rates_linear_ramp():
    rates = drop_path_rates(0.2, 5)
    np.testing.assert_allclose(rates, [0.04, 0.08, 0.12, 0.16, 0.2])
    assert drop_path_rates(0.0, 3) == [0.0, 0.0, 0.0]
    assert drop_path_rates(0.5, 1) == [0.5]


@pytest.mark.parametrize(
    "args, message",
    [((1.0, 3), "max_rate=1.0"), ((0.1, 0), "num_blocks=0"), ((0.1, 2.0), "num_blocks=2.0")],
)
def test_drop_path_rates_invalid(args, message):
    with pytest.raises(ValueError, match=message):
        drop_path_rates(*args)
