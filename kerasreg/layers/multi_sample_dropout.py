"""`MultiSampleDropout`: one shared head, many dropout masks per training step."""

import keras
from keras import ops

from kerasreg.layers.stochastic_layer import StochasticLayer
from kerasreg.validation import check_positive_int


def multi_sample_inputs(inputs, num_samples, rate, seed):
    """Stacks ``num_samples`` independently dropped copies of ``inputs`` on the batch axis.

    Row ``s * batch + b`` of the result is example ``b`` under mask ``s``
    (sample-major order), each copy with inverted scaling 1/(1-rate).
    """
    reps = (num_samples,) + (1,) * (len(inputs.shape) - 1)
    return keras.random.dropout(ops.tile(inputs, reps), rate, seed=seed)


@keras.saving.register_keras_serializable(package="kerasreg")
class MultiSampleDropout(StochasticLayer):
    """Multi-Sample Dropout: the shared ``head`` sees ``num_samples`` dropout masks.

    In training the layer applies ``num_samples`` independent dropout masks to
    its input, runs the shared ``head`` layer on each, and returns the
    per-sample outputs **stacked along the batch axis** (``num_samples *
    batch`` rows, sample-major). Build the model with
    `kerasreg.models.MultiSampleModel` instead of `keras.Model`: it repeats
    the targets and sample weights to match, so an ordinary Keras loss with
    its default mean reduction *is* the mean of the per-sample losses (and its
    gradient the mean of the per-sample gradients), exactly as in Inoue
    (2019); training metrics are averaged over the samples the same way.

    At inference there is one pass through ``head`` without dropout, so
    ``predict`` and ``evaluate`` see ``batch`` rows. In MC mode
    (``mc=True``) inference draws one dropout mask per call (``batch`` rows),
    like `MCDropout` in front of ``head``.

    Args:
        head: A Keras layer (typically the final `Dense`), shared by all
            samples; built by this layer.
        num_samples: Integer >= 1, dropout masks per training step.
        rate: Float in [0, 1), dropout rate of each mask.
        seed: Optional integer seed.
        mc: Bool. If True, inference draws one dropout mask per call.
        **kwargs: Base layer keyword arguments.

    Call arguments:
        inputs: The features the head reads, ``(batch, ..., features)``.
        training: Python bool, whether the layer runs in training mode.

    Example:

    >>> import keras, numpy as np
    >>> from kerasreg.layers import MultiSampleDropout
    >>> from kerasreg.models import MultiSampleModel
    >>> inputs = keras.Input((16,))
    >>> outputs = MultiSampleDropout(keras.layers.Dense(3), num_samples=4)(inputs)
    >>> model = MultiSampleModel(inputs, outputs)
    >>> model.compile("sgd", "sparse_categorical_crossentropy")
    >>> history = model.fit(np.ones((8, 16)), np.zeros(8), verbose=0)
    >>> model.predict(np.ones((8, 16)), verbose=0).shape
    (8, 3)

    Reference:
        Inoue, "Multi-Sample Dropout for Accelerated Training and Better
        Generalization", arXiv:1905.09788, 2019.
    """

    def __init__(self, head, num_samples=8, rate=0.5, seed=None, mc=False, **kwargs):
        super().__init__(rate=rate, seed=seed, mc=mc, **kwargs)
        if not isinstance(head, keras.layers.Layer):
            raise ValueError(
                "Invalid value received for argument `head`. Expected a Keras "
                f"layer. Received: head={head!r}"
            )
        self.head = head
        self.num_samples = check_positive_int("num_samples", num_samples)

    def build(self, input_shape):
        if not self.head.built:
            self.head.build(input_shape)
        self.built = True

    def call(self, inputs, training=False):
        if training and self._fixed_rate != 0.0:
            stacked = multi_sample_inputs(
                inputs, self.num_samples, self.rate, self.seed_generator
            )
            return self.in_compute_dtype(self.head(stacked))
        # Inference, MC inference, and rate 0 (where every sample would be the
        # same) are single passes.
        return self.in_compute_dtype(super().call(inputs, training=training))

    def noise(self, inputs):
        return self.head(
            keras.random.dropout(inputs, self.rate, seed=self.seed_generator)
        )

    def inference(self, inputs):
        return self.head(inputs)

    def compute_output_shape(self, input_shape):
        return self.head.compute_output_shape(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "head": keras.saving.serialize_keras_object(self.head),
            "num_samples": self.num_samples,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["head"] = keras.saving.deserialize_keras_object(config["head"])
        return cls(**config)
