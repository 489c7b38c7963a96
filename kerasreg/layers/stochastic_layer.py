"""`StochasticLayer`: the public base class of kerasreg's stochastic layers.

Scaling convention (the one kerasreg uses everywhere): *inverted* scaling.
A layer that drops with probability ``rate`` multiplies what it keeps by
``1 / (1 - rate)`` during training, so its expected output equals its input
and inference needs no rescaling. The one exception is `AdaptiveDropout`
(Standout), whose keep probability is a function of each activation; it
follows Ba & Frey (2013): no rescaling in training, multiplication by the keep
probability at inference.
"""

import keras

from kerasreg.validation import check_bool, check_rate, check_seed


@keras.saving.register_keras_serializable(package="kerasreg")
class StochasticLayer(keras.layers.Layer):
    """Base class for layers that are random in training and, in MC mode, at inference.

    The base owns what every stochastic layer shares: validation of ``rate``,
    seeding through `keras.random.SeedGenerator`, the training/MC gating and
    the config. A subclass writes only its noise function:

    - ``noise(inputs)``: the stochastic output. Draw randomness with
      ``seed=self.seed_generator`` so a seeded layer is reproducible.
    - ``inference(inputs)`` (optional): the deterministic output; the
      identity by default.
    - ``noise_per_example`` (class attribute, default True): set it to False
      when ``noise`` draws randomness shared by the whole batch (as
      DropConnect's kernel mask is). `kerasreg.uncertainty.mc_predict` stacks
      Monte Carlo samples along the batch axis only when every stochastic
      layer draws per example, and otherwise runs one pass per sample.

    ``call(inputs, training=False)`` returns ``noise(inputs)`` when
    ``training`` is true or the layer is in MC mode (``mc=True``), and
    ``inference(inputs)`` otherwise. A layer constructed with ``rate=0`` is an
    exact identity of ``inference``: ``noise`` is never called.
    `kerasreg.layers.enable_mc` turns MC mode on for every `StochasticLayer`
    of a model, user subclasses included.

    Args:
        rate: Float in [0, 1), the drop probability, or ``None`` for layers
            whose rate is not a fixed hyperparameter (learned or computed from
            the inputs). Stored as ``self.rate``.
        seed: Optional integer seed for ``self.seed_generator``.
        mc: Bool. If True the layer stays stochastic at inference (Monte
            Carlo dropout, Gal & Ghahramani 2016).
        **kwargs: Base layer keyword arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: Input tensor.
        training: Python bool, whether the layer runs in training mode.

    Example:

    >>> import keras
    >>> from keras import ops
    >>> from kerasreg.layers import StochasticLayer
    >>> @keras.saving.register_keras_serializable(package="docs")
    ... class TokenDrop(StochasticLayer):
    ...     '''Drops whole time steps of a (batch, steps, features) input.'''
    ...     def noise(self, inputs):
    ...         batch, steps = ops.shape(inputs)[0], ops.shape(inputs)[1]
    ...         return keras.random.dropout(
    ...             inputs, self.rate, noise_shape=(batch, steps, 1),
    ...             seed=self.seed_generator)
    >>> layer = TokenDrop(rate=0.5, seed=1)
    >>> tuple(layer(ops.ones((2, 4, 3)), training=True).shape)
    (2, 4, 3)
    """

    # Copies of one input stacked in a batch get independent noise only if
    # this is true; `mc_predict` relies on it to sample in one pass.
    noise_per_example = True

    def __init__(self, rate=None, seed=None, mc=False, **kwargs):
        super().__init__(**kwargs)
        # Layers with a learned or computed rate pass rate=None and may expose
        # `rate` as a property, so only a fixed rate is stored here.
        self._fixed_rate = None if rate is None else check_rate("rate", rate)
        if rate is not None:
            self.rate = self._fixed_rate
        self.seed = check_seed(seed)
        self.mc = check_bool("mc", mc)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def is_stochastic(self, training):
        """Whether a call with this ``training`` value draws noise."""
        return bool(training or self.mc) and self._fixed_rate != 0.0

    def call(self, inputs, training=False):
        if self.is_stochastic(training):
            return self.noise(inputs)
        return self.inference(inputs)

    def noise(self, inputs):
        """The stochastic output. Subclasses must implement it."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement `noise(self, inputs)`."
        )

    def inference(self, inputs):
        """The deterministic output; the identity unless overridden."""
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def in_compute_dtype(self, outputs):
        """Floating ``outputs`` cast to this layer's compute dtype.

        A wrapper whose inner layer keeps its own dtype policy (``Dense(3)``
        wrapped by a layer built with ``dtype="mixed_float16"``) would return
        the inner layer's float32; Keras's wrappers (`TimeDistributed`) return
        their own compute dtype, and so do kerasreg's.
        """
        def cast(x):
            if keras.backend.is_float_dtype(x.dtype) and keras.backend.standardize_dtype(x.dtype) != self.compute_dtype:
                return keras.ops.cast(x, self.compute_dtype)
            return x

        return keras.tree.map_structure(cast, outputs)

    def get_config(self):
        config = super().get_config()
        if self._fixed_rate is not None:
            config["rate"] = self._fixed_rate
        config.update({"seed": self.seed, "mc": self.mc})
        return config
