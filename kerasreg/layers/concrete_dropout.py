"""`ConcreteDropout`: dropout whose rate is learned through a relaxed Bernoulli."""

import math

import keras
from keras import ops

from kerasreg.layers.stochastic_layer import StochasticLayer
from kerasreg.validation import check_finite_float, check_rate

_EPS = 1e-7


def concrete_keep_mask(shape, rate, temperature, seed):
    """A relaxed (Concrete) keep mask: near 0/1 for small temperatures, differentiable in ``rate``.

    ``drop = sigmoid((log p - log(1-p) + log u - log(1-u)) / t)`` with
    ``u ~ U(0, 1)``; the mask is ``1 - drop``.
    """
    uniform = keras.random.uniform(shape, dtype="float32", seed=seed)
    logits = (
        ops.log(rate + _EPS)
        - ops.log(1.0 - rate + _EPS)
        + ops.log(uniform + _EPS)
        - ops.log(1.0 - uniform + _EPS)
    )
    return 1.0 - ops.sigmoid(logits / temperature)


@keras.saving.register_keras_serializable(package="kerasreg")
class ConcreteDropout(StochasticLayer):
    """Wraps a layer and learns the dropout rate of its input (Concrete dropout).

    The wrapped ``layer`` reads ``inputs * mask / (1 - p)`` where ``mask`` is
    a Concrete (relaxed Bernoulli) sample, so the drop probability ``p`` gets
    gradients and is trained with the weights. In training the layer adds
    the regularizer of Gal, Hron & Kendall (2017) to the model's losses::

        weight_regularizer * sum(kernel ** 2) / (1 - p)
        + dropout_regularizer * input_dim * (p log p + (1 - p) log(1 - p))

    The second term is the negative entropy of the mask (it pulls ``p``
    towards 0.5); with ``N`` training examples and prior length-scale ``l``
    the paper sets ``weight_regularizer = l**2 / N`` and
    ``dropout_regularizer = 2 / N``. ``input_dim`` is the size of the input's
    last axis. Read the learned rate with ``layer.rate``. At inference the
    wrapped layer sees the input unchanged (inverted scaling), or in MC mode
    a fresh relaxed mask per call.

    Args:
        layer: The Keras layer to wrap (e.g. `Dense`); its ``kernel`` is
            regularized (all its trainable weights if it has no kernel).
        weight_regularizer: Float >= 0, see above.
        dropout_regularizer: Float >= 0, see above.
        init_rate: Float in (0, 1), the initial drop probability.
        temperature: Float > 0, temperature of the relaxation (0.1 in the
            paper).
        seed: Optional integer seed.
        mc: Bool. If True, also drops at inference.
        **kwargs: Base layer keyword arguments.

    Call arguments:
        inputs: Input of the wrapped layer.
        training: Python bool, whether the layer runs in training mode.

    Example:

    >>> import keras, numpy as np
    >>> from kerasreg.layers import ConcreteDropout
    >>> layer = ConcreteDropout(keras.layers.Dense(4), init_rate=0.2)
    >>> y = layer(np.ones((2, 8), "float32"), training=True)
    >>> round(layer.rate, 3), len(layer.losses)
    (0.2, 1)

    Reference:
        Gal, Hron & Kendall, "Concrete Dropout", NeurIPS 2017.
    """

    def __init__(
        self,
        layer,
        weight_regularizer=1e-6,
        dropout_regularizer=1e-5,
        init_rate=0.1,
        temperature=0.1,
        seed=None,
        mc=False,
        **kwargs,
    ):
        super().__init__(rate=None, seed=seed, mc=mc, **kwargs)
        if not isinstance(layer, keras.layers.Layer):
            raise ValueError(
                "Invalid value received for argument `layer`. Expected a Keras "
                f"layer. Received: layer={layer!r}"
            )
        self.layer = layer
        self.weight_regularizer = check_finite_float("weight_regularizer", weight_regularizer)
        self.dropout_regularizer = check_finite_float("dropout_regularizer", dropout_regularizer)
        for name, value in (
            ("weight_regularizer", self.weight_regularizer),
            ("dropout_regularizer", self.dropout_regularizer),
        ):
            if value < 0:
                raise ValueError(
                    f"Invalid value received for argument `{name}`. Expected a "
                    f"float >= 0. Received: {name}={value!r}"
                )
        self.init_rate = check_rate("init_rate", init_rate)
        if self.init_rate == 0.0:
            raise ValueError(
                "Invalid value received for argument `init_rate`. Expected a "
                "float in (0, 1). Received: init_rate=0.0"
            )
        self.temperature = check_finite_float("temperature", temperature, positive=True)

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(input_shape)
        self.input_dim = int(input_shape[-1])
        logit = math.log(self.init_rate) - math.log(1.0 - self.init_rate)
        self.rate_logit = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(logit),
            trainable=True,
            autocast=False,
            name="rate_logit",
        )
        self.built = True

    @property
    def rate(self):
        """The learned drop probability, as a Python float."""
        if not self.built:
            return self.init_rate
        return float(ops.convert_to_numpy(ops.sigmoid(self.rate_logit)))

    def _rate_tensor(self):
        return ops.sigmoid(ops.cast(self.rate_logit, "float32"))

    def regularization_loss(self):
        """The Concrete-dropout regularizer for the current weights and rate."""
        p = self._rate_tensor()
        kernel = getattr(self.layer, "kernel", None)
        weights = [kernel] if kernel is not None else self.layer.trainable_weights
        squares = sum(ops.sum(ops.square(ops.cast(w, "float32"))) for w in weights)
        weight_term = self.weight_regularizer * squares / (1.0 - p)
        entropy_term = p * ops.log(p) + (1.0 - p) * ops.log(1.0 - p)
        return weight_term + self.dropout_regularizer * self.input_dim * entropy_term

    def call(self, inputs, training=False):
        if training:
            self.add_loss(self.regularization_loss())
        return self.in_compute_dtype(super().call(inputs, training=training))

    def noise(self, inputs):
        p = self._rate_tensor()
        mask = concrete_keep_mask(ops.shape(inputs), p, self.temperature, self.seed_generator)
        return self.layer(inputs * ops.cast(mask / (1.0 - p), inputs.dtype))

    def inference(self, inputs):
        return self.layer(inputs)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "layer": keras.saving.serialize_keras_object(self.layer),
            "weight_regularizer": self.weight_regularizer,
            "dropout_regularizer": self.dropout_regularizer,
            "init_rate": self.init_rate,
            "temperature": self.temperature,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layer"] = keras.saving.deserialize_keras_object(config["layer"])
        return cls(**config)
