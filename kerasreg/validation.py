"""Constructor argument checks shared by kerasreg layers and schedules.

Every check raises ``ValueError`` in Keras's own wording, naming the argument,
what is allowed and the value received, e.g.::

    Invalid value received for argument `rate`. Expected a float in [0, 1).
    Received: rate=1.5
"""

import math
import numbers


def invalid_argument(name, expected, value):
    """The ValueError for argument `name`: what is expected and the value received."""
    return ValueError(
        f"Invalid value received for argument `{name}`. Expected {expected}. "
        f"Received: {name}={value!r}"
    )


def check_rate(name, value):
    """A drop probability: a real number in [0, 1)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not 0.0 <= float(value) < 1.0
    ):
        raise invalid_argument(name, "a float in [0, 1)", value)
    return float(value)


def check_positive_int(name, value):
    """A count: an integer >= 1 (bools and floats such as 3.0 are refused)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < 1
    ):
        raise invalid_argument(name, "an integer >= 1", value)
    return int(value)


def check_finite_float(name, value, *, positive=False):
    """A finite real number, optionally > 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(float(value))
        or (positive and float(value) <= 0.0)
    ):
        expected = "a finite float > 0" if positive else "a finite float"
        raise invalid_argument(name, expected, value)
    return float(value)


def check_choice(name, value, choices):
    """One of a fixed set of names."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise invalid_argument(name, f"one of {allowed}", value)
    return value


def check_seed(value):
    """A random seed: ``None`` or an integer >= 0."""
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < 0
    ):
        raise invalid_argument("seed", "None or an integer >= 0", value)
    return int(value)


def check_bool(name, value):
    if not isinstance(value, bool):
        raise invalid_argument(name, "True or False", value)
    return value


def check_noise_shape(noise_shape):
    """``None`` or a sequence of positive integers and ``None`` entries."""
    if noise_shape is None:
        return None
    try:
        shape = tuple(noise_shape)
    except TypeError:
        raise invalid_argument(
            "noise_shape", "a tuple of positive integers or None", noise_shape
        ) from None
    for dim in shape:
        if dim is not None and (
            isinstance(dim, bool)
            or not isinstance(dim, numbers.Integral)
            or dim < 1
        ):
            raise invalid_argument(
                "noise_shape", "a tuple of positive integers or None", noise_shape
            )
    return tuple(None if d is None else int(d) for d in shape)
