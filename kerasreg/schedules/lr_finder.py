"""`find_lr`: Leslie Smith's learning-rate range test, leaving the model as it was.

The test trains for a short while with a learning rate that rises
exponentially (or linearly) from a tiny to a huge value, records the loss at
each step, and reads a good learning rate off the loss-vs-learning-rate
curve: large enough that the loss still falls fast, below the point where it
blows up. The model's weights, every optimizer variable (the step count
included) and its learning rate or schedule are restored afterwards, so the
sweep can be run on the model you are about to train.
"""

import dataclasses
import math
import numbers
import sys

import keras
import numpy as np
from keras import ops

from kerasreg import internals
from kerasreg.validation import (
    invalid_argument,
    check_choice,
    check_finite_float,
    check_positive_int,
    check_rate,
)

MODES = ("exponential", "linear")


@keras.saving.register_keras_serializable(package="kerasreg")
class RangeTestSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """The learning-rate ramp of the range test, from ``min_lr`` to ``max_lr``.

    Step ``start_step + t`` gets, with ``u = t / (num_steps - 1)`` clipped to
    [0, 1]:

    - ``exponential``: ``min_lr * (max_lr / min_lr) ** u``;
    - ``linear``: ``min_lr + (max_lr - min_lr) * u``.

    Steps are counted from ``start_step`` (the optimizer's iteration count
    when the sweep starts), so the first step of the sweep uses ``min_lr``
    and the last one ``max_lr``.

    Args:
        min_lr: Float > 0, the first learning rate.
        max_lr: Float > ``min_lr``, the last learning rate.
        num_steps: Integer >= 2, the length of the ramp.
        mode: ``"exponential"`` or ``"linear"``.
        start_step: Integer >= 0, the optimizer step at which the ramp starts.

    Example:

    >>> schedule = RangeTestSchedule(1e-4, 1.0, num_steps=5)
    >>> [round(float(schedule(step)), 6) for step in range(5)]
    [0.0001, 0.001, 0.01, 0.1, 1.0]
    """

    def __init__(self, min_lr, max_lr, num_steps, mode="exponential", start_step=0):
        self.min_lr = float(min_lr)
        self.max_lr = float(max_lr)
        self.num_steps = int(num_steps)
        self.mode = mode
        self.start_step = int(start_step)

    def rate_at_offset(self, offset):
        """The learning rate ``offset`` steps into the sweep (float32, vectorised)."""
        fraction = ops.clip(
            ops.cast(offset, "float32") / float(self.num_steps - 1), 0.0, 1.0
        )
        if self.mode == "linear":
            return self.min_lr + (self.max_lr - self.min_lr) * fraction
        return self.min_lr * ops.exp(fraction * math.log(self.max_lr / self.min_lr))

    def __call__(self, step):
        # Subtract in the integer dtype first: float32 cannot count past 2**24.
        return self.rate_at_offset(ops.subtract(step, self.start_step))

    def get_config(self):
        return {
            "min_lr": self.min_lr,
            "max_lr": self.max_lr,
            "num_steps": self.num_steps,
            "mode": self.mode,
            "start_step": self.start_step,
        }


@dataclasses.dataclass(eq=False)
class LRFinderResult:
    """What `find_lr` recorded, and the two learning rates it suggests.

    Attributes:
        learning_rates: float64 array, the learning rate of each recorded
            step (exactly the float32 value the optimizer used).
        losses: float64 array, the raw training loss of each step.
        smoothed_losses: float64 array, the exponentially smoothed,
            bias-corrected loss (``smoothing`` of `find_lr`).
        stopped_early: True if the sweep stopped because the smoothed loss
            diverged (then the last point is the one that diverged).
        suggestion: The steepest-descent rule: the learning rate where the
            smoothed loss falls fastest against ``log10(lr)``, before its
            minimum. Inside ``[min_lr, max_lr]``.
        valley: fastai's valley rule: about two thirds of the way along the
            longest decreasing stretch of the smoothed loss. Inside
            ``[min_lr, max_lr]``; usually a little more conservative than
            ``suggestion`` on noisy curves.
    """

    learning_rates: np.ndarray
    losses: np.ndarray
    smoothed_losses: np.ndarray
    stopped_early: bool
    suggestion: float
    valley: float

    def plot(self, path, title=None):
        """Writes loss vs learning rate (log x axis) as a PNG at ``path``.

        Draws the raw and the smoothed loss and marks ``suggestion`` and
        ``valley``. The file is written atomically. Returns ``path``.
        """
        from kerasreg.plotting.schedules import check_png_path, new_figure, save_png

        path = check_png_path("path", path)
        if title is not None and not isinstance(title, str):
            raise invalid_argument("title", "None or a string", title)
        lrs, raw, smooth = self.learning_rates, self.losses, self.smoothed_losses

        figure = new_figure()
        axes = figure.add_subplot()
        axes.plot(lrs, raw, color="0.7", linewidth=1.0, label="loss")
        axes.plot(lrs, smooth, color="C0", linewidth=2.0, label="smoothed loss")
        for value, color, name in (
            (self.suggestion, "C3", "steepest"),
            (self.valley, "C2", "valley"),
        ):
            if math.isfinite(value) and len(lrs):
                at = np.interp(np.log10(value), np.log10(lrs), smooth)
                axes.axvline(value, color=color, linestyle="--", linewidth=1.0)
                axes.plot([value], [at], "o", color=color, label=f"{name}: {value:.3g}")
        axes.set_xscale("log")
        limits = _loss_axis_limits(smooth)
        if limits is not None:
            axes.set_ylim(*limits)
        axes.set_xlabel("learning rate (log scale)")
        axes.set_ylabel("training loss")
        axes.set_title("Learning-rate range test" if title is None else title)
        axes.grid(True, which="both", alpha=0.3)
        axes.legend()
        return save_png(figure, path)


def find_lr(
    model,
    data,
    min_lr=1e-7,
    max_lr=10.0,
    num_steps=100,
    mode="exponential",
    batch_size=None,
    smoothing=0.98,
    divergence_threshold=4.0,
    log_dir=None,
):
    """Runs the learning-rate range test on a compiled model and restores it.

    For ``num_steps`` training steps the learning rate rises from ``min_lr``
    to ``max_lr`` (`RangeTestSchedule`) while the loss of every step is
    recorded. The loss is smoothed as in fastai
    (``avg = smoothing * avg + (1 - smoothing) * loss``, divided by
    ``1 - smoothing ** (step + 1)``) and the sweep stops as soon as the
    smoothed loss exceeds ``divergence_threshold`` times the best smoothed
    loss so far, or is NaN or infinite.

    Afterwards the model is exactly as before: weights and all other model
    variables (batch-norm statistics, seed states), every optimizer variable
    (slots and the iteration count) and the optimizer's learning rate —
    a float, a variable or a `LearningRateSchedule` object — are put back,
    and the next ``fit`` traces a fresh train function.

    Per-step losses are recovered from the running epoch mean that Keras
    reports to callbacks, which weights each batch by its size: give
    equal-sized batches (``drop_remainder=True`` for a dataset; arrays are
    batched that way here). With ``steps_per_execution > 1`` one point is
    recorded per execution (the mean over its steps).

    Args:
        model: A compiled, built Keras model (its optimizer is built here
            if it is not yet).
        data: A ``tf.data.Dataset`` of batches (repeated here if finite), or
            an ``(x, y)`` or ``(x, y, sample_weight)`` tuple of arrays
            (shuffled each pass, in full batches of ``batch_size``).
        min_lr: Float > 0, the first learning rate.
        max_lr: Float > ``min_lr``, the last learning rate.
        num_steps: Integer >= 2, the length of the sweep in steps.
        mode: ``"exponential"`` (the usual choice) or ``"linear"`` ramp.
        batch_size: Integer >= 1, required with arrays, ``None`` with a
            dataset.
        smoothing: Float in [0, 1), the smoothing factor of the loss (0 for
            none).
        divergence_threshold: Float > 1: stop once the smoothed loss exceeds
            this multiple of its best value. (Only for losses whose best
            value is > 0; NaN or infinity always stops.)
        log_dir: Optional folder: the sweep is also written there as
            TensorBoard scalars ``lr_finder/loss``, ``lr_finder/smoothed_loss``
            and ``lr_finder/learning_rate``, with the sweep step as step.

    Returns:
        An `LRFinderResult` with the recorded ``learning_rates``, ``losses``
        and ``smoothed_losses``, ``stopped_early``, the ``suggestion``
        (steepest descent) and ``valley`` learning rates, and ``.plot(path)``.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from kerasreg.schedules.lr_finder import find_lr
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(256, 4)).astype("float32")
    >>> y = x @ np.array([1.0, -2.0, 0.5, 3.0], "float32")
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    >>> model.compile(keras.optimizers.SGD(0.01), "mse")
    >>> result = find_lr(model, (x, y), min_lr=1e-4, max_lr=10.0,
    ...                  num_steps=40, batch_size=32)
    >>> bool(1e-4 <= result.suggestion <= 10.0)
    True
    >>> round(float(model.optimizer.learning_rate), 6)  # put back
    0.01
    >>> int(model.optimizer.iterations)
    0

    Reference:
        Smith, "Cyclical Learning Rates for Training Neural Networks",
        WACV 2017, section 3.3 ("How can one estimate reasonable minimum
        and maximum boundary values?"). The smoothing, divergence stop and
        valley rule follow fastai's ``lr_find``.
    """
    min_lr = check_finite_float("min_lr", min_lr, positive=True)
    max_lr = check_finite_float("max_lr", max_lr)
    if max_lr <= min_lr:
        raise invalid_argument("max_lr", f"a finite float > min_lr={min_lr!r}", max_lr)
    if (
        isinstance(num_steps, bool)
        or not isinstance(num_steps, numbers.Integral)
        or num_steps < 2
    ):
        raise invalid_argument("num_steps", "an integer >= 2", num_steps)
    num_steps = int(num_steps)
    mode = check_choice("mode", mode, MODES)
    smoothing = check_rate("smoothing", smoothing)
    divergence_threshold = check_finite_float("divergence_threshold", divergence_threshold)
    if divergence_threshold <= 1.0:
        raise invalid_argument("divergence_threshold", "a finite float > 1", divergence_threshold)
    if not isinstance(model, keras.Model) or not model.compiled or model.optimizer is None:
        raise invalid_argument(
            "model",
            "a compiled Keras model (call `model.compile(optimizer, loss)` first)",
            model,
        )
    if not model.built:
        raise invalid_argument(
            "model",
            "a built model (give it a `keras.Input` or call it on a batch first)",
            model,
        )
    data = _as_repeated_data(data, batch_size)

    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    # A LossScaleOptimizer (mixed precision) delegates its learning rate.
    lr_owner = getattr(optimizer, "inner_optimizer", optimizer)

    model_variables = list(model.variables)
    optimizer_variables = list(optimizer.variables)
    model_values = [_snapshot(v) for v in model_variables]
    optimizer_values = [_snapshot(v) for v in optimizer_variables]
    # The private attribute, not the public property: the property returns
    # the *current value* (a schedule's output, not the schedule), and its
    # setter both refuses to put a variable back once a schedule is set
    # ("its learning rate is not settable") and untracks a learning-rate
    # variable it replaces, which would drop it from `optimizer.variables`
    # (changing the checkpoint layout and the JAX trainer's state list).
    # Swapping `_learning_rate` both ways leaves the variable list alone.
    original_learning_rate = internals.learning_rate_slot(lr_owner)
    original_history = getattr(model, "history", None)
    start_step = internals.optimizer_step(lr_owner)

    schedule = RangeTestSchedule(min_lr, max_lr, num_steps, mode, start_step)
    recorder = _LossRecorder(smoothing, divergence_threshold)
    try:
        internals.set_learning_rate_slot(lr_owner, schedule)
        model.make_train_function(force=True)
        model.fit(
            data,
            epochs=1,
            steps_per_epoch=num_steps,
            shuffle=False,  # the batches are shuffled already (or a dataset's own)
            verbose=0,
            callbacks=[recorder],
        )
    finally:
        internals.set_learning_rate_slot(lr_owner, original_learning_rate)
        for variable, value in zip(model_variables, model_values):
            variable.assign(value)
        for variable, value in zip(optimizer_variables, optimizer_values):
            variable.assign(value)
        model.stop_training = False
        if original_history is not None:
            model.history = original_history
        model.make_train_function(force=True)

    steps = np.asarray(recorder.steps, dtype="int64")
    learning_rates = np.asarray(
        ops.convert_to_numpy(schedule.rate_at_offset(steps.astype("float32"))),
        dtype="float64",
    ).reshape(-1)
    losses = np.asarray(recorder.losses, dtype="float64")
    smoothed = np.asarray(recorder.smoothed, dtype="float64")

    result = LRFinderResult(
        learning_rates=learning_rates,
        losses=losses,
        smoothed_losses=smoothed,
        stopped_early=recorder.diverged,
        suggestion=_clip(steepest_descent_lr(learning_rates, smoothed), min_lr, max_lr),
        valley=_clip(valley_lr(learning_rates, smoothed), min_lr, max_lr),
    )
    if log_dir is not None:
        _write_tensorboard(log_dir, steps, result)
    return result


def steepest_descent_lr(learning_rates, smoothed_losses):
    """The learning rate where the smoothed loss falls fastest against log10(lr).

    Only the finite points before the minimum of the smoothed loss are
    searched, leaving out the first tenth (at most 10 points, where the
    smoothing has not settled) and the last twentieth (at most 5); the slope
    is ``numpy.gradient`` of the loss over ``log10(lr)``. Returns ``nan``
    when nothing was recorded.
    """
    lrs, losses = _finite_prefix(learning_rates, smoothed_losses)
    count = len(lrs)
    if count == 0:
        return math.nan
    lowest = int(np.argmin(losses))
    if count < 3 or lowest == 0:
        return float(lrs[lowest])
    with np.errstate(divide="ignore", invalid="ignore"):
        slopes = np.gradient(losses, np.log10(lrs))
    slopes = np.where(np.isfinite(slopes), slopes, np.inf)
    first = min(10, count // 10)
    last = min(lowest, count - 1 - min(5, count // 20))
    if last <= first:
        first, last = 0, lowest
    index = first + int(np.argmin(slopes[first : last + 1]))
    return float(lrs[index])


def valley_lr(learning_rates, smoothed_losses):
    """fastai's valley rule on the smoothed loss.

    Finds the longest (not necessarily contiguous) strictly decreasing
    subsequence of the loss and returns the learning rate two thirds of the
    way from its first to its last point. The first tenth and last twentieth
    of the points are left out as in `steepest_descent_lr`. Returns ``nan``
    when nothing was recorded.
    """
    lrs, losses = _finite_prefix(learning_rates, smoothed_losses)
    count = len(lrs)
    if count == 0:
        return math.nan
    first = min(10, count // 10)
    stop = count - min(5, count // 20)
    if stop - first >= 3:
        lrs, losses = lrs[first:stop], losses[first:stop]
        count = len(lrs)
    lengths = np.ones(count, dtype="int64")
    starts = np.arange(count)
    for i in range(1, count):
        higher = np.nonzero(losses[:i] > losses[i])[0]
        if len(higher):
            best = higher[np.argmax(lengths[higher])]
            lengths[i] = lengths[best] + 1
            starts[i] = starts[best]
    end = int(np.argmax(lengths))  # the first of the longest ones
    start = int(starts[end])
    return float(lrs[start + int(round((end - start) * 2 / 3))])


class _LossRecorder(keras.callbacks.Callback):
    """Recovers each step's loss from Keras's running mean, smooths it, stops on divergence."""

    def __init__(self, smoothing, divergence_threshold):
        super().__init__()
        self.smoothing = smoothing
        self.divergence_threshold = divergence_threshold
        self.steps, self.losses, self.smoothed = [], [], []
        self.diverged = False
        self._seen = 0  # steps covered by the running mean so far
        self._mean = 0.0
        self._average = 0.0
        self._best = math.inf

    def on_train_batch_end(self, batch, logs=None):
        # In Keras 3 `logs["loss"]` is the mean over the epoch so far, not
        # this batch's loss: undo the averaging. `batch` is the index of the
        # last step of this call (steps_per_execution may cover several).
        mean = float(ops.convert_to_numpy((logs or {})["loss"]))
        seen = int(batch) + 1
        covered = max(seen - self._seen, 1)
        loss = (seen * mean - self._seen * self._mean) / covered
        if not math.isfinite(mean):
            loss = mean
        self._seen, self._mean = seen, mean

        beta = self.smoothing
        self._average = beta * self._average + (1.0 - beta) * loss
        self.steps.append(seen - 1)
        self.losses.append(loss)
        smooth = self._average / (1.0 - beta ** len(self.losses))
        self.smoothed.append(smooth)

        if not math.isfinite(smooth):
            self.diverged = True
        else:
            self._best = min(self._best, smooth)
            if self._best > 0 and smooth > self.divergence_threshold * self._best:
                self.diverged = True
        if self.diverged:
            self.model.stop_training = True


def _as_repeated_data(data, batch_size):
    """A dataset or a generator of batches that will not run out."""
    # A tf.data.Dataset exists only once TensorFlow is imported; importing it
    # here would fail on machines with another backend and no TensorFlow.
    tf = sys.modules.get("tensorflow")
    if tf is not None and isinstance(data, tf.data.Dataset):
        if batch_size is not None:
            raise invalid_argument(
                "batch_size", "None when `data` is a dataset (it is batched already)", batch_size
            )
        if int(data.cardinality()) != int(tf.data.INFINITE_CARDINALITY):
            data = data.repeat()
        return data
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
        raise invalid_argument(
            "data",
            "a tf.data.Dataset or an (x, y) or (x, y, sample_weight) tuple of arrays",
            data,
        )
    if batch_size is None:
        raise invalid_argument("batch_size", "an integer >= 1 when `data` holds arrays", batch_size)
    batch_size = check_positive_int("batch_size", batch_size)
    arrays = keras.tree.map_structure(
        lambda a: None if a is None else np.asarray(ops.convert_to_numpy(a)), tuple(data)
    )
    lengths = {len(a) for a in keras.tree.flatten(arrays) if a is not None}
    if len(lengths) != 1 or 0 in lengths:
        raise invalid_argument(
            "data", "arrays with the same, non-zero number of examples", data
        )
    (count,) = lengths

    # Seeded from NumPy's global generator, so `keras.utils.set_random_seed`
    # makes the batch order repeat.
    rng = np.random.default_rng(np.random.randint(0, 2**31 - 1))

    def batches():
        # Full batches that run across the end of one shuffled pass into
        # the next, so every step sees `batch_size` examples.
        order = np.empty(0, dtype="int64")
        while True:
            while len(order) < batch_size:
                order = np.concatenate([order, rng.permutation(count)])
            index, order = order[:batch_size], order[batch_size:]
            yield keras.tree.map_structure(
                lambda a: None if a is None else a[index], arrays
            )

    return batches()


def _snapshot(variable):
    # A real copy: on JAX a view of a device buffer may be donated to the
    # next train step.
    return np.array(ops.convert_to_numpy(variable), copy=True)


def _finite_prefix(learning_rates, losses):
    lrs = np.asarray(learning_rates, dtype="float64").reshape(-1)
    losses = np.asarray(losses, dtype="float64").reshape(-1)
    bad = np.nonzero(~np.isfinite(losses) | ~(lrs > 0))[0]
    end = int(bad[0]) if len(bad) else len(losses)
    return lrs[:end], losses[:end]


def _clip(value, low, high):
    if not math.isfinite(value):
        return low
    return float(min(max(value, low), high))


def _loss_axis_limits(smoothed):
    """A y range from the smoothed minimum to the starting level, cutting off divergence."""
    finite = smoothed[np.isfinite(smoothed)]
    if len(finite) < 2:
        return None
    lowest = int(np.argmin(finite))
    low, high = float(finite[lowest]), float(np.max(finite[: lowest + 1]))
    if high <= low:
        return None
    pad = 0.1 * (high - low)
    return low - pad, high + 3 * pad


def _write_tensorboard(log_dir, steps, result):
    """Writes the sweep as TensorBoard scalars.

    ``steps`` are the sweep steps of the recorded points (0, 1, 2, ...; every
    ``steps_per_execution``-th step when that is larger than 1).
    """
    import tensorflow as tf

    series = {
        "lr_finder/loss": result.losses,
        "lr_finder/smoothed_loss": result.smoothed_losses,
        "lr_finder/learning_rate": result.learning_rates,
    }
    writer = tf.summary.create_file_writer(str(log_dir))
    try:
        with writer.as_default():
            for index, step in enumerate(steps):
                for tag, values in series.items():
                    tf.summary.scalar(tag, float(values[index]), step=int(step))
        writer.flush()
    finally:
        writer.close()
