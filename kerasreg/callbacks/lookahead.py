"""Lookahead: slow weights that follow the optimizer's fast weights every few steps.

Keras optimizers can keep an exponential moving average of the weights
(``use_ema``, with ``ema_overwrite_frequency`` to copy it back), but only
with a constant momentum and over the trainable weights alone. airbench94
(Jordan 2024) gets its last accuracy points from a Lookahead whose decay
grows over the run: almost none early, when the weights must move fast,
strong at the end. References: Zhang, Lucas, Hinton & Ba, "Lookahead
Optimizer: k steps forward, 1 step back", NeurIPS 2019; Jordan, "94% on
CIFAR-10 in 3.29 Seconds on a Single GPU", arXiv:2404.00498, 2024.
"""

import keras
import numpy as np

from kerasreg.validation import check_finite_float, check_positive_int, invalid_argument


def lookahead_decay(step, total_steps, decay, power):
    """The weight of the slow weights at a synchronization: ``decay * (step / total_steps) ** power``.

    ``power=0`` is Zhang et al.'s Lookahead with a constant ``alpha = 1 -
    decay``; airbench94 uses ``decay = 0.95 ** 5`` and ``power = 3``, so the
    slow weights barely hold the fast ones back until the end of the run.

    Args:
        step: Integer >= 0, optimizer steps taken.
        total_steps: Integer >= 1, the steps of the whole run.
        decay: Float in [0, 1], the weight at the end of the run.
        power: Float >= 0.

    Returns:
        A float in [0, decay] (``step`` beyond ``total_steps`` counts as the end).

    Example:

    >>> round(lookahead_decay(500, 1000, decay=0.8, power=3.0), 4)
    0.1
    >>> lookahead_decay(10, 1000, decay=0.5, power=0.0)
    0.5
    """
    return float(decay) * min(step / total_steps, 1.0) ** float(power)


class Lookahead(keras.callbacks.Callback):
    """Every ``sync_period`` steps, moves slow weights toward the model's and restarts the model from them.

    At each synchronization ``slow = rho * slow + (1 - rho) * weights`` and
    then ``weights = slow``, with ``rho = lookahead_decay(step, total_steps,
    decay, power)``. All floating-point weights take part, the batch-norm
    moving statistics too (as in airbench94), so the statistics match the
    slow weights. The model is also set to the slow weights after the last
    step of every epoch, so validation, checkpoints and the final model are the slow
    weights (the steps since the last synchronization are dropped, as in
    airbench94); a run resumed from such a checkpoint continues exactly,
    the step count coming from the optimizer.

    Args:
        sync_period: Integer >= 1, optimizer steps between synchronizations (k).
        total_steps: Integer >= 1, the steps of the whole run (the ramp's length).
        decay: Float in [0, 1], ``rho`` at the end of the run. Default
            ``0.95 ** 5`` (airbench94's 0.95 per step, at k = 5).
        power: Float >= 0, the ramp's exponent. Default 3 (airbench94); 0
            is the original Lookahead with ``alpha = 1 - decay``.

    Example:

    >>> import keras, numpy as np
    >>> from kerasreg.callbacks import Lookahead
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> x, y = np.ones((8, 2)), np.zeros((8, 1))
    >>> lookahead = Lookahead(sync_period=2, total_steps=4, decay=0.5, power=0.0)
    >>> _ = model.fit(x, y, batch_size=2, epochs=1, callbacks=[lookahead], verbose=0)
    >>> lookahead.synchronizations
    2
    """

    def __init__(self, sync_period=5, total_steps=1, decay=0.95**5, power=3.0):
        super().__init__()
        self.sync_period = check_positive_int("sync_period", sync_period)
        self.total_steps = check_positive_int("total_steps", total_steps)
        self.decay = check_finite_float("decay", decay)
        if not 0.0 <= self.decay <= 1.0:
            raise invalid_argument("decay", "a float in [0, 1]", decay)
        self.power = check_finite_float("power", power)
        if self.power < 0:
            raise invalid_argument("power", "a float >= 0", power)
        self.synchronizations = 0
        self._weights, self._slow = [], []

    def on_train_begin(self, logs=None):
        # The slow weights start as the model's (after a resume: the
        # checkpoint's, which are the slow weights of that epoch's end).
        self._weights = [w for w in self.model.weights if keras.backend.is_float_dtype(w.dtype)]
        self._slow = [np.array(keras.ops.convert_to_numpy(w)) for w in self._weights]

    def on_train_batch_end(self, batch, logs=None):
        step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        if step % self.sync_period == 0:
            rho = lookahead_decay(step, self.total_steps, self.decay, self.power)
            for weight, slow in zip(self._weights, self._slow):
                slow *= rho
                slow += (1.0 - rho) * keras.ops.convert_to_numpy(weight)
            self._restore_slow()
            self.synchronizations += 1
        elif batch + 1 == self.params.get("steps"):
            # The epoch's last step: Keras validates right after it, before
            # on_epoch_end, and the slow weights are the ones to validate.
            self._restore_slow()

    def on_epoch_end(self, epoch, logs=None):
        self._restore_slow()  # for datasets of unknown length (no "steps")

    def _restore_slow(self):
        for weight, slow in zip(self._weights, self._slow):
            weight.assign(slow)
