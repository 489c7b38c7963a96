"""Shared pytest setup: quiet TensorFlow logs, the default float policy per test."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _float32_policy():
    # A test that switches to mixed precision must not leak it to the next.
    keras.config.set_dtype_policy("float32")
    yield
    keras.config.set_dtype_policy("float32")
