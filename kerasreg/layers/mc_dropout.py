"""`MCDropout`: dropout that stays on at inference."""

import keras

from kerasreg.layers.stochastic_layer import StochasticLayer
from kerasreg.validation import check_noise_shape


@keras.saving.register_keras_serializable(package="kerasreg")
class MCDropout(StochasticLayer):
    """Monte Carlo dropout: Keras `Dropout` that also samples at inference.

    Each call zeroes input units with probability ``rate`` and scales the kept
    ones by ``1 / (1 - rate)``, in training *and* at inference, so repeated
    predictions are samples from the approximate posterior predictive of
    Gal & Ghahramani (2016). No ``training=True`` hack is needed, and the
    layer saves and loads like any other. With ``mc=False`` it is exactly
    Keras's `Dropout`.

    Args:
        rate: Float in [0, 1). Fraction of the input units to drop.
        noise_shape: Optional tuple, the shape of the binary mask broadcast
            over the input; ``None`` entries take the input's size, e.g.
            ``(None, 1, 1, None)`` drops whole channels of an NHWC map.
        seed: Optional integer seed.
        mc: Bool, default True: stochastic at inference too.
        **kwargs: Base layer keyword arguments.

    Call arguments:
        inputs: Input tensor of any rank.
        training: Python bool. Ignored while ``mc=True`` (always samples).

    Example:

    >>> import numpy as np
    >>> from kerasreg.layers import MCDropout
    >>> layer = MCDropout(0.5, seed=0)
    >>> x = np.ones((2, 4), "float32")
    >>> a, b = layer(x), layer(x)  # inference, yet two different samples
    >>> bool((np.asarray(a) != np.asarray(b)).any())
    True

    Reference:
        Gal & Ghahramani, "Dropout as a Bayesian Approximation: Representing
        Model Uncertainty in Deep Learning", ICML 2016.
    """

    def __init__(self, rate, noise_shape=None, seed=None, mc=True, **kwargs):
        super().__init__(rate=rate, seed=seed, mc=mc, **kwargs)
        self.noise_shape = check_noise_shape(noise_shape)
        self.supports_masking = True

    def noise(self, inputs):
        return keras.random.dropout(
            inputs, self.rate, noise_shape=self.noise_shape, seed=self.seed_generator
        )

    def get_config(self):
        return {**super().get_config(), "noise_shape": self.noise_shape}
