"""Every stochastic layer: seeded runs repeat, and each training step draws new noise."""

import keras
import numpy as np
import pytest
from keras import ops

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

DENSE_INPUT = (64, 32)
MAP_INPUT = (8, 12, 12, 4)
FACTORIES = {
    "MCDropout": (lambda seed: MCDropout(0.5, seed=seed), DENSE_INPUT),
    "DropConnectDense": (lambda seed: DropConnectDense(16, rate=0.5, seed=seed), DENSE_INPUT),
    "DropConnectConv2D": (lambda seed: DropConnectConv2D(4, 3, rate=0.5, seed=seed), MAP_INPUT),
    "MultiSampleDropout": (lambda seed: MultiSampleDropout(keras.layers.Dense(4), 3, 0.5, seed=seed), DENSE_INPUT),
    "AdaptiveDropout": (lambda seed: AdaptiveDropout(seed=seed), DENSE_INPUT),
    "DropBlock2D": (lambda seed: DropBlock2D(0.3, 3, seed=seed), MAP_INPUT),
    "StochasticDepth": (lambda seed: StochasticDepth(0.5, seed=seed), DENSE_INPUT),
    "ScheduledDropout": (lambda seed: ScheduledDropout(0.5, 1, "constant", seed=seed), DENSE_INPUT),
    "ConcreteDropout": (lambda seed: ConcreteDropout(keras.layers.Dense(4), init_rate=0.5, seed=seed), DENSE_INPUT),
}


def _run(make, shape, seed, calls=2):
    # Same initial weights for both layers: weight initializers are seeded too.
    keras.utils.set_random_seed(0)
    layer = make(seed)
    x = np.random.default_rng(0).uniform(0.5, 1.5, size=shape).astype("float32")
    return [ops.convert_to_numpy(layer(x, training=True)) for _ in range(calls)]


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_seeded_runs_repeat_and_steps_differ(name):
    make, shape = FACTORIES[name]
    first = _run(make, shape, seed=42)
    again = _run(make, shape, seed=42)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1]), "a new step must draw new noise"
    other = _run(make, shape, seed=43)
    assert not np.array_equal(first[0], other[0]), "another seed, other noise"
