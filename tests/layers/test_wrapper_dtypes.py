"""kerasreg's wrapper layers return the dtype Keras's own wrappers return under mixed precision."""

import keras
import numpy as np
import pytest

from kerasreg.layers import ConcreteDropout, MultiSampleDropout

WRAPPERS = {
    "concrete": lambda inner, **kw: ConcreteDropout(inner, **kw),
    "multi_sample": lambda inner, **kw: MultiSampleDropout(inner, num_samples=2, **kw),
}


@pytest.fixture
def global_policy():
    yield keras.mixed_precision.set_global_policy
    keras.mixed_precision.set_global_policy("float32")


def keras_wrapper_dtype(**kwargs):
    inner = keras.layers.Dense(3, **kwargs.pop("inner", {}))
    return keras.backend.standardize_dtype(
        keras.layers.TimeDistributed(inner, **kwargs)(np.ones((4, 2, 8), "float32")).dtype
    )


def wrapper_dtypes(name, **kwargs):
    inner = keras.layers.Dense(3, **kwargs.pop("inner", {}))
    layer = WRAPPERS[name](inner, seed=1, **kwargs)
    x = np.ones((4, 8), "float32")
    return {keras.backend.standardize_dtype(layer(x, training=t).dtype) for t in (False, True)}


@pytest.mark.parametrize("name", sorted(WRAPPERS))
def test_wrapper_given_a_mixed_policy_returns_its_compute_dtype(name):
    expected = keras_wrapper_dtype(dtype="mixed_float16")
    assert expected == "float16"
    assert wrapper_dtypes(name, dtype="mixed_float16") == {expected}


@pytest.mark.parametrize("name", sorted(WRAPPERS))
def test_float32_inner_layer_under_a_global_mixed_policy(name, global_policy):
    global_policy("mixed_float16")
    expected = keras_wrapper_dtype(inner={"dtype": "float32"})
    assert expected == "float16"
    assert wrapper_dtypes(name, inner={"dtype": "float32"}) == {expected}


@pytest.mark.parametrize("name", sorted(WRAPPERS))
def test_float32_everywhere_stays_float32(name):
    assert wrapper_dtypes(name) == {"float32"}
