"""`float_step`: the step counter as every kerasreg schedule computes with it."""

from keras import ops


def float_step(step):
    """The step as float32, the dtype every kerasreg schedule computes in."""
    return ops.cast(step, "float32")
