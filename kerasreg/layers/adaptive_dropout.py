"""`AdaptiveDropout` (Standout): each unit's keep probability follows its activation."""

import keras
from keras import ops

from kerasreg.layers.stochastic_layer import StochasticLayer
from kerasreg.validation import check_finite_float


def standout_keep_probability(inputs, alpha, beta):
    """``sigmoid(alpha * a + beta)`` of each activation ``a``."""
    return ops.sigmoid(alpha * inputs + beta)


@keras.saving.register_keras_serializable(package="kerasreg")
class AdaptiveDropout(StochasticLayer):
    """Standout: units are kept with probability ``sigmoid(alpha * a + beta)`` of their activation.

    Stronger units (for ``alpha > 0``) are dropped less. The keep probability
    is computed from the layer's own input, so no extra weights are learned:
    the "standout network" shares the weights of the layer before it, as in
    Ba & Frey's tied-weights variant.

    Scaling convention (differs from the rest of kerasreg, as in the paper):
    training output is ``a * m`` with ``m ~ Bernoulli(p(a))`` and **no**
    rescaling; the inference output is the expectation ``a * p(a)``. The mask
    is a sample, so no gradient flows through ``p``.

    Placement: put it on pre-activations (after a linear `Dense` or `Conv2D`,
    before the nonlinearity) to reproduce the paper exactly — for a 0/1 mask,
    ``relu(m * z) == m * relu(z)`` with ``p = sigmoid(alpha * z + beta)`` of
    the unit's input ``z``. After the nonlinearity it is the common variant.

    Args:
        alpha: Finite float, slope of the keep probability.
        beta: Finite float, offset of the keep probability.
        seed: Optional integer seed.
        mc: Bool. If True, also samples masks at inference.
        **kwargs: Base layer keyword arguments.

    Call arguments:
        inputs: Activations, any shape.
        training: Python bool, whether the layer runs in training mode.

    Example:

    >>> import numpy as np
    >>> from kerasreg.layers import AdaptiveDropout
    >>> layer = AdaptiveDropout(alpha=1.0, beta=0.0)
    >>> np.round(np.asarray(layer(np.array([[0.0, 2.0]], "float32"))), 3)
    array([[0.   , 1.762]], dtype=float32)

    Reference:
        Ba & Frey, "Adaptive dropout for training deep neural networks",
        NeurIPS 2013.
    """

    def __init__(self, alpha=1.0, beta=0.0, seed=None, mc=False, **kwargs):
        super().__init__(rate=None, seed=seed, mc=mc, **kwargs)
        self.alpha = check_finite_float("alpha", alpha)
        self.beta = check_finite_float("beta", beta)
        self.supports_masking = True

    def noise(self, inputs):
        keep = standout_keep_probability(inputs, self.alpha, self.beta)
        uniform = keras.random.uniform(
            ops.shape(inputs), dtype=inputs.dtype, seed=self.seed_generator
        )
        return ops.where(uniform < keep, inputs, ops.zeros_like(inputs))

    def inference(self, inputs):
        return inputs * standout_keep_probability(inputs, self.alpha, self.beta)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "beta": self.beta}
