"""`ScheduledDropout`: dropout whose rate grows over training (curriculum dropout)."""

import keras
from keras import ops

from kerasreg.layers.stochastic_layer import StochasticLayer
from kerasreg.validation import check_choice, check_noise_shape, check_positive_int

SCHEDULES = ("linear", "exponential", "constant")


def scheduled_rate(step, rate, warmup_steps, schedule):
    """The drop rate after ``step`` training steps, as a float32 tensor.

    - ``linear``: ``rate * min(step / warmup_steps, 1)``.
    - ``exponential``: ``rate * (1 - exp(-step / warmup_steps))``, Morerio
      et al.'s curriculum with ``gamma = 1 / warmup_steps`` (the keep
      probability decays from 1 towards ``1 - rate``).
    - ``constant``: ``rate`` from step 0 (plain dropout, for ablations).
    """
    step = ops.cast(step, "float32")
    if schedule == "linear":
        return rate * ops.minimum(step / warmup_steps, 1.0)
    if schedule == "exponential":
        return rate * (1.0 - ops.exp(-step / warmup_steps))
    return ops.convert_to_tensor(rate, "float32")


def dropout_with_rate(inputs, rate, noise_shape, seed):
    """Inverted dropout whose ``rate`` may be a tensor (Keras's needs a Python float)."""
    shape = ops.shape(inputs)
    if noise_shape is not None:
        shape = tuple(shape[i] if d is None else d for i, d in enumerate(noise_shape))
    keep = keras.random.uniform(shape, dtype="float32", seed=seed) >= rate
    scale = ops.cast(1.0 / (1.0 - rate), inputs.dtype)
    return ops.where(keep, inputs * scale, ops.zeros_like(inputs))


@keras.saving.register_keras_serializable(package="kerasreg")
class ScheduledDropout(StochasticLayer):
    """Dropout whose rate rises from 0 to ``rate`` over the first training steps.

    Curriculum dropout: early in training the network sees clean inputs and
    the regularization is ramped in as it starts to fit. The layer counts
    its own training calls in a non-trainable ``iterations`` weight, which
    is saved with the model, so a reloaded or resumed model continues the
    ramp where it stopped. Each call with ``training=True`` uses the rate of
    the current count, then adds one (a layer shared by several branches
    counts each call). MC-mode inference uses the current rate and does not
    count. Kept units are scaled by ``1 / (1 - current_rate)``.

    Args:
        rate: Float in [0, 1), the final drop rate.
        warmup_steps: Integer >= 1: steps to reach ``rate`` (``linear``), or
            the time constant of the ``exponential`` ramp.
        schedule: ``"linear"``, ``"exponential"`` (Morerio et al. 2017) or
            ``"constant"``. See `scheduled_rate` for the formulas.
        noise_shape: Optional mask shape, as in Keras `Dropout`.
        seed: Optional integer seed.
        mc: Bool. If True, also drops at inference (at the current rate).
        **kwargs: Base layer keyword arguments.

    Call arguments:
        inputs: Input tensor of any rank.
        training: Python bool, whether the layer runs in training mode.

    Example:

    >>> import numpy as np
    >>> from kerasreg.layers import ScheduledDropout
    >>> layer = ScheduledDropout(rate=0.5, warmup_steps=100)
    >>> for _ in range(50):
    ...     _ = layer(np.ones((4, 8), "float32"), training=True)
    >>> round(layer.current_rate, 3)
    0.25

    Reference:
        Morerio, Cavazza, Volpi, Vidal & Murino, "Curriculum Dropout",
        ICCV 2017.
    """

    def __init__(
        self,
        rate,
        warmup_steps,
        schedule="linear",
        noise_shape=None,
        seed=None,
        mc=False,
        **kwargs,
    ):
        super().__init__(rate=rate, seed=seed, mc=mc, **kwargs)
        self.warmup_steps = check_positive_int("warmup_steps", warmup_steps)
        self.schedule = check_choice("schedule", schedule, SCHEDULES)
        self.noise_shape = check_noise_shape(noise_shape)
        self.supports_masking = True
        self.iterations = self.add_weight(
            shape=(),
            dtype="int32",
            initializer="zeros",
            trainable=False,
            name="iterations",
        )

    @property
    def current_rate(self):
        """The drop rate at the current step, as a Python float."""
        return float(
            ops.convert_to_numpy(
                scheduled_rate(self.iterations, self.rate, self.warmup_steps, self.schedule)
            )
        )

    def call(self, inputs, training=False):
        outputs = super().call(inputs, training=training)
        if training and self._fixed_rate != 0.0:
            self.iterations.assign_add(1)
        return outputs

    def noise(self, inputs):
        rate = scheduled_rate(self.iterations, self.rate, self.warmup_steps, self.schedule)
        return dropout_with_rate(inputs, rate, self.noise_shape, self.seed_generator)

    def get_config(self):
        return {
            **super().get_config(),
            "warmup_steps": self.warmup_steps,
            "schedule": self.schedule,
            "noise_shape": self.noise_shape,
        }
