"""`TemperatureScaling`: class probabilities from logits divided by a fitted temperature."""

import math

import keras

# Probabilities are clipped to this before their log: a zero has no logit.
_EPSILON = 1e-12


@keras.saving.register_keras_serializable(package="kerasreg")
class TemperatureScaling(keras.layers.Layer):
    """Calibrated probabilities: ``activation(logits / temperature)`` (Guo et al. 2017).

    The last layer of a calibrated inference model. ``temperature`` comes
    from `kerasreg.uncertainty.fit_temperature` on held-out data; dividing
    every logit by it keeps each prediction's class and moves only its
    confidence. A model that already ends in a softmax (or sigmoid) passes
    ``from_logits=False``: the layer takes the log of its probabilities
    (the logits up to a constant, which the softmax ignores) and scales
    those, so ``softmax(log(p) / T)`` is ``p ** (1 / T)`` renormalized.

    Args:
        temperature: Float > 0. 1 leaves the probabilities unchanged.
        from_logits: Bool, default True: the inputs are logits; False: they
            are probabilities (of the softmax, or of the sigmoid).
        activation: ``"softmax"`` (default; several classes, last axis) or
            ``"sigmoid"`` (binary or multi-label: each unit on its own).
        **kwargs: Base layer keyword arguments.

    Call arguments:
        inputs: Logits (or probabilities) of shape ``(..., classes)``.

    Example:

    >>> import numpy as np
    >>> from kerasreg.layers import TemperatureScaling
    >>> logits = np.array([[2.0, 0.0]], "float32")
    >>> p = np.asarray(TemperatureScaling(2.0)(logits))  # softmax([1, 0])
    >>> bool(np.allclose(p, [[0.7311, 0.2689]], atol=1e-4))
    True

    Reference:
        Guo, Pleiss, Sun & Weinberger, "On Calibration of Modern Neural
        Networks", ICML 2017.
    """

    def __init__(self, temperature, from_logits=True, activation="softmax", **kwargs):
        super().__init__(**kwargs)
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not (
            math.isfinite(temperature) and temperature > 0
        ):
            raise ValueError("Invalid value received for argument `temperature`. Expected a finite float > 0. "
                             f"Received: temperature={temperature!r}")  # fmt: skip
        if not isinstance(from_logits, bool):
            raise ValueError(f"Invalid value received for argument `from_logits`. Expected a bool. "
                             f"Received: from_logits={from_logits!r}")  # fmt: skip
        if activation not in ("softmax", "sigmoid"):
            raise ValueError("Invalid value received for argument `activation`. Expected 'softmax' or 'sigmoid'. "
                             f"Received: activation={activation!r}")  # fmt: skip
        self.temperature = float(temperature)
        self.from_logits = from_logits
        self.activation = activation
        self.supports_masking = True

    def call(self, inputs):
        x = keras.ops.cast(inputs, self.compute_dtype)
        if not self.from_logits:
            p = keras.ops.clip(x, _EPSILON, 1.0 - _EPSILON if self.activation == "sigmoid" else 1.0)
            # The sigmoid's logit is log(p / (1 - p)); the softmax's, log(p) up to a shift it ignores.
            x = keras.ops.log(p) - (keras.ops.log(1.0 - p) if self.activation == "sigmoid" else 0.0)
        x = x / self.temperature
        return keras.ops.softmax(x, axis=-1) if self.activation == "softmax" else keras.ops.sigmoid(x)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature, "from_logits": self.from_logits,
                "activation": self.activation}  # fmt: skip
