"""Every constructor rejects bad arguments with a ValueError naming the argument and value."""

import keras
import pytest

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

CASES = [
    (lambda: MCDropout(1.5), "rate=1.5"),
    (lambda: MCDropout(-0.2), "rate=-0.2"),
    (lambda: MCDropout(1.0), "rate=1.0"),
    (lambda: MCDropout(0.5, noise_shape=(None, 0)), "noise_shape=(None, 0)"),
    (lambda: MCDropout(0.5, seed="a"), "seed='a'"),
    (lambda: DropConnectDense(2.5, rate=0.5), "units=2.5"),
    (lambda: DropConnectDense(0, rate=0.5), "units=0"),
    (lambda: DropConnectDense(4, rate=1.0), "rate=1.0"),
    (lambda: DropConnectConv2D(4, 3, rate=-0.5), "rate=-0.5"),
    (lambda: MultiSampleDropout(keras.layers.Dense(2), num_samples=0), "num_samples=0"),
    (lambda: MultiSampleDropout(keras.layers.Dense(2), num_samples=2.0), "num_samples=2.0"),
    (lambda: MultiSampleDropout(keras.layers.Dense(2), rate=1.0), "rate=1.0"),
    (lambda: MultiSampleDropout("dense"), "head='dense'"),
    (lambda: AdaptiveDropout(alpha=float("nan")), "alpha=nan"),
    (lambda: AdaptiveDropout(beta="0"), "beta='0'"),
    (lambda: DropBlock2D(0.1, block_size=0), "block_size=0"),
    (lambda: DropBlock2D(0.1, block_size=2.5), "block_size=2.5"),
    (lambda: DropBlock2D(1.1, block_size=3), "rate=1.1"),
    (lambda: DropBlock2D(0.1, 3, data_format="nhwc"), "data_format='nhwc'"),
    (lambda: StochasticDepth(1.0), "rate=1.0"),
    (lambda: ScheduledDropout(0.5, warmup_steps=-3), "warmup_steps=-3"),
    (lambda: ConcreteDropout(keras.layers.Dense(2), temperature=-1.0), "temperature=-1.0"),
    (lambda: GhostBatchNormalization(virtual_batch_size=0), "virtual_batch_size=0"),
]


@pytest.mark.parametrize("make, received", CASES, ids=[received for _, received in CASES])
def test_constructor_rejects(make, received):
    with pytest.raises(ValueError) as error:
        make()
    message = str(error.value)
    assert f"Received: {received}" in message, message
