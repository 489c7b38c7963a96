"""Shared pytest setup: quiet TensorFlow logs, true float32 on GPUs, the default float policy per test."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# The tests compare layers with float32 reference formulas. On Ampere and
# newer GPUs both backends run float32 matrix products and convolutions in
# TF32 by default (10-bit mantissa, ~5e-4 relative error), which fails those
# comparisons without any bug; ask for true float32 instead (no effect on
# CPUs). JAX reads this when it is imported, so before Keras is.
os.environ.setdefault("JAX_DEFAULT_MATMUL_PRECISION", "highest")

import keras  # noqa: E402
import pytest  # noqa: E402

if keras.backend.backend() == "tensorflow":
    import tensorflow as tf

    tf.config.experimental.enable_tensor_float_32_execution(False)


@pytest.fixture(autouse=True)
def _float32_policy():
    # A test that switches to mixed precision must not leak it to the next.
    keras.config.set_dtype_policy("float32")
    yield
    keras.config.set_dtype_policy("float32")
