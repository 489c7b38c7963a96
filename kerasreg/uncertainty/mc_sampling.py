"""`mc_predict`: Monte Carlo dropout predictions, their entropy and mutual information."""

import itertools
import math
import weakref

import keras
import numpy as np
from keras import ops

from kerasreg import internals
from kerasreg.layers.mc_mode import enable_mc
from kerasreg.layers.stochastic_layer import StochasticLayer
from kerasreg.uncertainty.calibration import ROW_SUM_TOLERANCE
from kerasreg.validation import check_bool, check_positive_int


def entropy(probabilities):
    """Shannon entropy in nats along the last axis, with ``0 * log 0 = 0``."""
    p = np.asarray(probabilities, dtype="float64")
    return -np.sum(p * np.log(np.where(p > 0, p, 1.0)), axis=-1)


def _softmax(logits):
    exp = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


def batch_shared_layers(model):
    """The layers of ``model`` that, when called, draw one noise sample for the whole batch.

    Those are the stochastic layers (in MC mode, rate not 0) with
    ``noise_per_example = False`` (`DropConnectDense`, `DropConnectConv2D`)
    or a ``noise_shape`` whose batch entry is fixed (e.g. ``(1, features)``
    broadcasts one mask over the batch). `DropBlock2D` draws its blocks per
    example; only its rescaling factor is a batch statistic, close to
    ``1 / (1 - rate)``, as for the examples of any batch.
    """
    shared = []
    # `flatten_layers` also reaches layers inside sub-models and wrapper
    # layers (ConcreteDropout's `layer`, MultiSampleDropout's `head`), which
    # `model.layers` does not list.
    for layer in internals.flatten_layers(model):
        if not isinstance(layer, StochasticLayer) or not layer.is_stochastic(False):
            continue
        noise_shape = getattr(layer, "noise_shape", None)
        if not layer.noise_per_example or (noise_shape and noise_shape[0] is not None):
            shared.append(layer)
    return shared


def _numpy_inputs(x):
    """``(inputs as NumPy arrays, N)``; every array must hold the same N >= 1 examples."""
    inputs = keras.tree.map_structure(lambda a: np.asarray(ops.convert_to_numpy(a)), x)
    shapes = [a.shape for a in keras.tree.flatten(inputs)]
    lengths = {shape[0] if shape else 0 for shape in shapes}
    if len(lengths) != 1 or 0 in lengths:
        raise ValueError(
            "Invalid value received for argument `x`. Expected an array (or a "
            "list or dict of arrays) of N >= 1 examples along the first axis. "
            f"Received: x with shapes {shapes}"
        )
    return inputs, lengths.pop()


def _passes(num_examples, num_samples, batch_size, stacked):
    """``(sample index, example index)`` arrays of the rows of each forward pass."""
    if stacked:
        # Example-major rows: row r is sample r % S of example r // S, so
        # every pass but the last is a full batch, whatever S and N are.
        total = num_examples * num_samples
        for start in range(0, total, batch_size):
            rows = np.arange(start, min(start + batch_size, total))
            yield rows % num_samples, rows // num_samples
    else:
        for sample in range(num_samples):
            for start in range(0, num_examples, batch_size):
                examples = np.arange(start, min(start + batch_size, num_examples))
                yield np.full(len(examples), sample), examples


def _take_rows(inputs, index):
    return keras.tree.map_structure(lambda a: a[index], inputs)


# Forward passes per `predict` call: their inputs are gathered at once (e.g.
# 16 x 256 CIFAR images = 50 MB in float32).
PASSES_PER_PREDICT = 16

# model -> (its serialized config, its `enable_mc` copy). Building the copy
# is cheap, but each new copy traces (TensorFlow) or compiles (JAX/XLA) its
# predict function again: ~3 s per call on a GPU, far more than the sampling.
_MC_COPIES = weakref.WeakKeyDictionary()


def _mc_copy(model):
    """``enable_mc(model)``, kept between calls, with the model's current weights.

    The copy is rebuilt when the model's config changes. Generators of
    seeded layers restart from their seed, so a call samples as a fresh
    copy would; unseeded ones run on, as fresh random seeds would.
    """
    if not isinstance(model, keras.Model) or not model.built:
        return enable_mc(model)  # which raises its one-line error
    config = keras.saving.serialize_keras_object(model)
    cached = _MC_COPIES.get(model)
    if cached is not None and cached[0] == config:
        copy = cached[1]
        copy.set_weights(model.get_weights())
    else:
        copy = enable_mc(model)
        _MC_COPIES[model] = (config, copy)
    internals.reset_seed_generators(copy)
    return copy


def _padded(example, rows):
    """A pass's example indices, padded to ``rows`` with copies of its own.

    Every pass then has one shape, so the predict function is traced or
    compiled once (JAX recompiles for every new shape).
    """
    return example[np.resize(np.arange(len(example)), rows)] if len(example) < rows else example


def _rows(outputs, start, count):
    """``count`` output rows from ``start``; anything but one array is left for the check."""
    return outputs[start : start + count] if isinstance(outputs, np.ndarray) else outputs


def _as_probabilities(outputs, from_logits):
    """A pass's model output as float64 class probabilities, checked."""
    if not isinstance(outputs, np.ndarray) or outputs.ndim != 2 or outputs.shape[1] < 2:
        described = outputs.shape if isinstance(outputs, np.ndarray) else type(outputs).__name__
        raise ValueError(
            "mc_predict needs a model with one output of shape (batch, classes), "
            f"classes >= 2. Received: model output {described}"
        )
    outputs = outputs.astype("float64")
    if from_logits:
        return _softmax(outputs)
    bad = (outputs < 0).any(axis=1) | (np.abs(outputs.sum(axis=1) - 1.0) > ROW_SUM_TOLERANCE)
    if bad.any():
        row = outputs[int(np.argmax(bad))]
        raise ValueError(
            "mc_predict with from_logits=False needs a model that outputs class "
            "probabilities (non-negative rows summing to 1); pass "
            f"from_logits=True for a model that outputs logits. Received: an "
            f"output row {np.round(row, 4).tolist()} (sum {row.sum():.4g})"
        )
    return outputs


def mc_predict(model, x, num_samples=30, batch_size=256, from_logits=False, return_samples=False, progress=False):
    """Monte Carlo dropout prediction: the predictive mean and its uncertainty.

    Runs ``num_samples`` stochastic forward passes of `enable_mc` ``(model)``
    (a copy in which every kerasreg stochastic layer samples at inference and
    Keras ``Dropout`` / ``SpatialDropout`` become `MCDropout`; batch
    normalization stays in inference mode; ``model`` itself is not changed)
    and summarizes the samples ``p_s`` of each example's class probabilities
    (Gal & Ghahramani 2016):

    - ``mean = mean_s p_s``, the predictive distribution;
    - ``entropy = H[mean]``, the total predictive uncertainty (nats);
    - ``mutual_information = H[mean] - mean_s H[p_s]``, the part due to the
      weights' uncertainty (the BALD score of Houlsby et al. 2011); it is
      >= 0, and tiny negative rounding is clipped to 0.

    Sampling is batched: the ``num_samples`` copies of each example are
    stacked along the batch axis and forward passes of at most
    ``batch_size`` rows run over them (``ceil(N * S / batch_size)`` passes,
    e.g. one pass for a single example, instead of ``S * ceil(N /
    batch_size)``); each copy gets its own noise because kerasreg's layers
    draw masks per example. A layer whose noise is shared by the whole batch
    (``noise_per_example = False``, as `DropConnectDense` /
    `DropConnectConv2D`, or a ``noise_shape`` with a fixed batch entry)
    would make every copy in a pass identical, so a model with one is
    sampled with one pass per sample over chunks of ``batch_size``
    examples. Either way a pass holds at most ``batch_size`` rows (a short
    last pass is padded with copies of its own rows, so every pass has one
    shape and the predict function compiles once), and the aggregates take
    O(N * classes) memory.

    A model without stochastic layers (or with rate 0) gives ``num_samples``
    identical samples, equal to ``model.predict``, and zero mutual
    information. The MC copy of a model is kept between calls (one more
    set of its weights in memory) and its compiled predict function with
    it; each call copies the model's current weights into it first. If
    every stochastic layer has a ``seed``, a call is reproducible: its
    generators restart from their seeds, as in a fresh copy.

    Args:
        model: A built Keras model (serializable, see `enable_mc`) with one
            output of shape ``(batch, classes)``: class probabilities, or
            logits with ``from_logits=True``.
        x: Inputs of N >= 1 examples: a NumPy array or tensor, or a list or
            dict of them for a multi-input model.
        num_samples: Integer >= 1, the number of Monte Carlo samples S.
        batch_size: Integer >= 1, the most rows one forward pass holds.
        from_logits: Bool. If True, the model outputs logits and each sample
            is passed through a softmax before averaging.
        return_samples: Bool. If True, also return every sample.
        progress: Bool. If True, show a `keras.utils.Progbar` over the
            forward passes (for a terminal: it redraws its line).

    Returns:
        A dict of float64 NumPy arrays: ``mean`` ``(N, C)``, ``entropy``
        ``(N,)``, ``mutual_information`` ``(N,)``, and with
        ``return_samples=True`` also ``samples`` ``(S, N, C)``.

    Example:

    >>> import keras, numpy as np
    >>> from kerasreg.uncertainty import mc_predict
    >>> model = keras.Sequential([
    ...     keras.Input((4,)),
    ...     keras.layers.Dropout(0.5, seed=0),
    ...     keras.layers.Dense(3, activation="softmax"),
    ... ])
    >>> x = np.ones((2, 4), "float32")
    >>> result = mc_predict(model, x, num_samples=20, return_samples=True)
    >>> result["mean"].shape, result["samples"].shape
    ((2, 3), (20, 2, 3))
    >>> bool((result["mutual_information"] >= 0).all())
    True

    References:
        Gal & Ghahramani, "Dropout as a Bayesian Approximation: Representing
        Model Uncertainty in Deep Learning", ICML 2016.
        Houlsby, Huszár, Ghahramani & Lengyel, "Bayesian Active Learning for
        Classification and Preference Learning", arXiv:1112.5745, 2011.
    """
    num_samples = check_positive_int("num_samples", num_samples)
    batch_size = check_positive_int("batch_size", batch_size)
    from_logits = check_bool("from_logits", from_logits)
    return_samples = check_bool("return_samples", return_samples)
    progress = check_bool("progress", progress)
    inputs, num_examples = _numpy_inputs(x)
    mc_model = _mc_copy(model)
    stacked = not batch_shared_layers(mc_model)
    rows = min(batch_size, num_examples * num_samples if stacked else num_examples)

    total = total_entropy = samples = None
    passes = _passes(num_examples, num_samples, batch_size, stacked)
    bar = None
    if progress:
        count = math.ceil(num_examples * num_samples / batch_size)
        if not stacked:
            count = num_samples * math.ceil(num_examples / batch_size)
        bar = keras.utils.Progbar(count, unit_name="pass")
    done = 0
    # One `predict` call runs several passes: Keras then dispatches them
    # back to back and syncs the model's state once, where a
    # `predict_on_batch` per pass waits for each (1.7x slower on a GPU).
    while group := list(itertools.islice(passes, PASSES_PER_PREDICT)):
        indices = np.concatenate([_padded(example, rows) for _, example in group])
        outputs = mc_model.predict(_take_rows(inputs, indices), batch_size=rows, verbose=0)
        for position, (sample, example) in enumerate(group):
            p = _as_probabilities(_rows(outputs, position * rows, len(example)), from_logits)
            if total is None:
                total = np.zeros((num_examples, p.shape[1]))
                total_entropy = np.zeros(num_examples)
                if return_samples:
                    samples = np.empty((num_samples, num_examples, p.shape[1]))
            # A pass's examples come in order, each example's rows together.
            examples, first = np.unique(example, return_index=True)
            total[examples] += np.add.reduceat(p, first, axis=0)
            total_entropy[examples] += np.add.reduceat(entropy(p), first)
            if samples is not None:
                samples[sample, example] = p
        done += len(group)
        if bar is not None:
            bar.update(done)

    mean = total / num_samples
    predictive_entropy = entropy(mean)
    # H[mean] >= mean H[p_s] by concavity; rounding can make it -1e-16.
    mutual_information = np.maximum(predictive_entropy - total_entropy / num_samples, 0.0)
    result = {
        "mean": mean,
        "entropy": predictive_entropy,
        "mutual_information": mutual_information,
    }
    if return_samples:
        result["samples"] = samples
    return result
