"""Suite-wide: how many workers ``-n auto`` starts, and every test starts from Keras's float32 policy."""

import os

import keras
import pytest


def pytest_xdist_auto_num_workers(config):
    # One worker more than cores: the suite's tests wait on process start-ups
    # and files often enough that two workers on two cores leave a core idle
    # about a third of the time.
    return (os.cpu_count() or 1) + 1


@pytest.fixture(autouse=True)
def _float32_policy():
    # `prepare` sets the run's precision process-wide (as a run must); tests
    # share processes (pytest-xdist), so one test's policy must not leak.
    yield
    if keras.config.dtype_policy().name != "float32":
        keras.config.set_dtype_policy("float32")
