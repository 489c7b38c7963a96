import keras
import numpy as np
import pytest
from keras import ops

from kerasreg.layers import DropConnectConv2D, DropConnectDense
from tests.layer_harness import forward_and_grads, run_layer_test


def test_dense_harness():
    run_layer_test(lambda: DropConnectDense(5, rate=0.3, activation="relu", seed=1), (4, 6), (4, 5))


def test_conv_harness():
    run_layer_test(
        lambda: DropConnectConv2D(4, 3, rate=0.3, padding="same", seed=1), (2, 6, 6, 3), (2, 6, 6, 4)
    )


_AWAY_FROM_ZERO = keras.initializers.RandomUniform(0.5, 1.5, seed=0)


def _effective_kernel(layer, in_dim, training=True):
    # With identity inputs and no bias, each output row is a kernel row.
    return ops.convert_to_numpy(layer(np.eye(in_dim, dtype="float32"), training=training))


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_dense_drops_kernel_weights(rate):
    # Weights kept away from zero: a zero weight would read as dropped (and
    # 0/0 below); on JAX, 2 of 300 Glorot-uniform kernels this size held one.
    layer = DropConnectDense(400, rate=rate, use_bias=False, seed=3, kernel_initializer=_AWAY_FROM_ZERO)
    layer.build((None, 300))  # 1.2e5 weights
    kernel = ops.convert_to_numpy(layer.kernel)
    effective = _effective_kernel(layer, 300)
    dropped = effective == 0
    assert abs(dropped.mean() - rate) < 0.02
    np.testing.assert_allclose(effective[~dropped], kernel[~dropped] / (1 - rate), rtol=1e-5)
    # Inverted scaling: the masked kernel equals the kernel in expectation.
    assert abs((effective / kernel).mean() - 1.0) < 0.02


def test_dense_inference_is_plain_dense():
    layer = DropConnectDense(7, rate=0.5, use_bias=True, bias_initializer="ones", seed=0)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    out = ops.convert_to_numpy(layer(x))
    expected = x @ ops.convert_to_numpy(layer.kernel) + ops.convert_to_numpy(layer.bias)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_one_mask_per_step_shared_by_the_batch():
    layer = DropConnectDense(50, rate=0.5, use_bias=False, seed=1)
    eye = np.eye(20, dtype="float32")
    out = ops.convert_to_numpy(layer(np.concatenate([eye, eye]), training=True))
    np.testing.assert_array_equal(out[:20], out[20:])
    assert (out != ops.convert_to_numpy(layer(np.concatenate([eye, eye]), training=True))).any(), "new step, new mask"


def test_dropped_weights_get_zero_gradient():
    layer = DropConnectDense(30, rate=0.4, use_bias=False, seed=2)
    x = np.eye(20, dtype="float32")
    layer(x)
    effective, _, (d_kernel,) = forward_and_grads(layer, x)
    dropped = effective == 0
    assert dropped.any()
    assert (d_kernel[dropped] == 0).all()
    np.testing.assert_allclose(d_kernel[~dropped], 1 / 0.6, rtol=1e-5)


def test_conv_drops_kernel_weights():
    # A 1x1 convolution of one-hot pixels reads the kernel out, weight by weight.
    layer = DropConnectConv2D(300, 1, rate=0.3, use_bias=False, seed=4, kernel_initializer=_AWAY_FROM_ZERO)
    pixels = np.eye(400, dtype="float32").reshape(400, 1, 1, 400)
    layer.build(pixels.shape)
    kernel = ops.convert_to_numpy(layer.kernel)[0, 0]
    effective = ops.convert_to_numpy(layer(pixels, training=True))[:, 0, 0, :]
    dropped = effective == 0
    assert abs(dropped.mean() - 0.3) < 0.02
    np.testing.assert_allclose(effective[~dropped], kernel[~dropped] / 0.7, rtol=1e-5)
    np.testing.assert_allclose(ops.convert_to_numpy(layer(pixels))[:, 0, 0, :], kernel, rtol=1e-6)


def test_conv_inference_is_plain_conv_and_mc_samples():
    x = np.random.default_rng(0).normal(size=(2, 5, 5, 3)).astype("float32")
    layer = DropConnectConv2D(4, 3, rate=0.5, seed=0, bias_initializer="ones")
    reference = keras.layers.Conv2D(4, 3, bias_initializer="ones")
    reference.build(x.shape)
    layer.build(x.shape)
    reference.set_weights(layer.get_weights())
    np.testing.assert_allclose(ops.convert_to_numpy(layer(x)), ops.convert_to_numpy(reference(x)), rtol=1e-5, atol=1e-5)
    mc = DropConnectConv2D(4, 3, rate=0.5, seed=0, mc=True)
    assert not np.allclose(ops.convert_to_numpy(mc(x)), ops.convert_to_numpy(mc(x)))


def test_config_has_dense_and_rate_arguments():
    config = DropConnectDense(3, rate=0.2, activation="tanh", seed=1).get_config()
    assert (config["units"], config["rate"], config["activation"], config["seed"]) == (3, 0.2, "tanh", 1)
    config = DropConnectConv2D(3, (2, 2), rate=0.1, strides=2).get_config()
    assert (config["filters"], config["kernel_size"], config["strides"], config["rate"]) == (3, (2, 2), (2, 2), 0.1)
