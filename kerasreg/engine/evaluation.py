"""Scoring a trained model: test-time augmentation, probabilities, calibration, and the inference model."""

import contextlib
import logging

import keras
import numpy as np

from kerasreg.engine import multi_worker
from kerasreg.engine.losses import Outputs
from kerasreg.engine.progress import show_bar

LOGITS = Outputs("softmax", logits=True)


def evaluation_model(model, config, metrics=None):
    """The model the test set is evaluated with (``training.test_time_augmentation``).

    ``"none"``: ``model`` itself. ``"flip"``: a model returning the mean of
    the outputs of each image and of its horizontal mirror. ``"flip_translate"``
    (airbench94's level 2): half that mean, plus a quarter each of the same
    for the image shifted one pixel up-left and one pixel down-right
    (reflect-padded); 6 passes per image. Compiled with ``model``'s loss and
    ``metrics`` (default: accuracy).
    """
    mode = config.training.test_time_augmentation
    if mode == "none":
        return model
    strategy = getattr(model, "distribute_strategy", None)  # TensorFlow's models only
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        inputs = keras.Input(model.input_shape[1:])
        logits = _flip_average(model, inputs)
        if mode == "flip_translate":
            padded = keras.ops.pad(inputs, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="reflect")
            up_left = padded[:, :-2, :-2, :]  # not :height: a model may take any size (height None)
            down_right = padded[:, 2:, 2:, :]
            shifted = keras.layers.Average(dtype="float32")(
                [_flip_average(model, up_left), _flip_average(model, down_right)]
            )
            logits = keras.layers.Average(dtype="float32", name="translate_average")([logits, shifted])
        wrapped = keras.Model(inputs, logits, name=f"{model.name}_{mode}_tta")
        wrapped.compile(loss=model.loss, metrics=list(metrics) if metrics is not None else ["accuracy"])
    if strategy is not None:
        import tensorflow as tf

        if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
            multi_worker.adapt_model(wrapped, strategy)
    return wrapped


def _flip_average(model, images):
    """The mean of ``model``'s outputs on ``images`` and on their horizontal mirrors."""
    mirrored = keras.ops.flip(images, axis=2)  # channels last: axis 2 is the width
    return keras.layers.Average(dtype="float32")([model(images), model(mirrored)])


def _labels(y, one_hot):
    """Class indices of a batch of labels (one-hot, ``(n, 1)`` or ``(n,)``)."""
    y = np.asarray(y)
    return np.argmax(y, axis=-1) if one_hot else y.reshape(len(y), -1)[:, 0] if y.ndim > 1 else y


def test_predictions(model, test, one_hot, outputs=LOGITS):
    """``(labels, probabilities)`` of a classification test set; ``outputs`` says what the model returns."""
    labels, probabilities = [], []
    for x, y in test:
        probabilities.append(outputs.probabilities(keras.ops.convert_to_numpy(model(x, training=False))))
        labels.append(_labels(y, one_hot))
    return np.concatenate(labels).astype("int64"), np.concatenate(probabilities)


def _metric_objects(metrics):
    """``[(name, metric)]``: ``metrics`` (names or objects, as ``compile`` takes them) as reset metric objects.

    Named as ``compile`` names them: a string by itself, an object by its
    name, a function wrapped in `keras.metrics.MeanMetricWrapper`.
    """
    made = []
    for spec in metrics:
        metric = spec if isinstance(spec, keras.metrics.Metric) else keras.metrics.get(spec)
        if not isinstance(metric, keras.metrics.Metric):
            metric = keras.metrics.MeanMetricWrapper(metric, name=getattr(metric, "__name__", None))
        # A user's metric object comes back as itself (the model was compiled with it): start it afresh.
        metric.reset_state()
        made.append((spec if isinstance(spec, str) else metric.name, metric))
    return made


def _batch_size(x):
    return int(keras.ops.shape(keras.tree.flatten(x)[0])[0])


def _cardinality(data):
    count = int(data.cardinality()) if hasattr(data, "cardinality") else -1
    return count if count >= 0 else None


class _OwnStepRetracing(logging.Filter):
    """Drops TensorFlow's warning that `forward_pass`'s step "triggered tf.function retracing".

    TensorFlow counts traces by the Python function's code, so that a
    ``tf.function`` made again and again in a loop is flagged. Here that is
    the design: every model (each run of a comparison or a search) gets its
    own step, traced once. Other functions' retracing warnings still show.
    """

    def filter(self, record):
        message = record.getMessage()
        return not ("triggered tf.function retracing" in message and "forward_pass.<locals>.step" in message)


def _hide_own_retracing_warning(logger):
    if not any(isinstance(f, _OwnStepRetracing) for f in logger.filters):
        logger.addFilter(_OwnStepRetracing())


def forward_pass(model):
    """``forward(x, y, sample_weight) -> (y_pred, loss)``: one traced inference step of ``model``.

    Made once per model and passed to each `score` call, so that scoring
    the validation split and then the test set traces it once.
    """
    def step(x, y, sample_weight):
        # With the predictions, in the same call: the regularization losses a
        # call adds (activity regularizers) exist only there.
        y_pred = model(x, training=False)
        return y_pred, model.compute_loss(x, y, y_pred, sample_weight, training=False)

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        _hide_own_retracing_warning(tf.get_logger())
        return tf.function(step, reduce_retracing=True)

    def eager(x, y, sample_weight):
        # Other backends take the pipeline's tf.data batches as NumPy arrays, eagerly.
        x, y, sample_weight = keras.tree.map_structure(
            lambda t: None if t is None else np.asarray(t), (x, y, sample_weight))  # fmt: skip
        return step(x, y, sample_weight)

    return eager


def score(model, data, metrics, outputs, one_hot, progress=False, forward=None):
    """Loss, metrics and class probabilities of ``model`` on ``data``, from one forward pass per batch.

    What ``model.evaluate`` would report (the compiled loss with the model's
    own regularization terms, averaged over examples, and ``metrics`` as
    ``compile`` takes them), computed from the same predictions that give
    the probabilities, so the test set is predicted once instead of once
    for ``evaluate`` and once more for calibration; with test-time
    augmentation each pass is several views of every image. The metrics are
    updated outside any distribution strategy, on the whole batch, so under
    multi-worker training every worker scores the whole test set.

    Args:
        model: A compiled model (its loss is used, not its metrics).
        data: Batches ``(x, y)`` or ``(x, y, sample_weight)``.
        metrics: Metric names or objects (`Prepared.fresh_metrics`).
        outputs: `Outputs`: what the model returns.
        one_hot: Whether the labels are one-hot.
        progress: Show a `keras.utils.Progbar` over the batches.
        forward: `forward_pass` ``(model)``, when the caller scores
            several data sets with one model; None makes one.

    Returns:
        ``(metrics, labels, probabilities)``: ``{"loss": ..., name: ...}``
        plus NLL, Brier score and ECE for classification, and the labels and
        probabilities as NumPy arrays; both None for ``values`` outputs.
    """
    if forward is None:
        forward = forward_pass(model)
    loss = keras.metrics.Mean(name="loss")
    named = _metric_objects(metrics)
    classes = outputs.kind != "values"
    labels, probabilities = [], []
    bar = keras.utils.Progbar(_cardinality(data), unit_name="batch") if progress else None
    for step, batch in enumerate(data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(batch)
        y_pred, batch_loss = forward(x, y, sample_weight)
        # As `evaluate` averages it: each batch's mean loss weighs by its examples.
        loss.update_state(batch_loss, sample_weight=_batch_size(x))
        for _, metric in named:
            metric.update_state(y, y_pred)  # as `compile`'s metrics are: unweighted (sample weights weigh the loss)
        if classes:
            probabilities.append(outputs.probabilities(keras.ops.convert_to_numpy(y_pred)))
            labels.append(_labels(y, one_hot))
        if bar is not None:
            bar.update(step + 1)
    scores = {"loss": float(loss.result())}
    scores.update({name: float(metric.result()) for name, metric in named})
    if not classes:
        return scores, None, None
    labels, probabilities = np.concatenate(labels).astype("int64"), np.concatenate(probabilities)
    scores.update(calibration_metrics(probabilities, labels))
    return scores, labels, probabilities


def score_test(model, config, prepared, progress=None):
    """``model`` scored on ``prepared``'s test set in one pass, with the run's test-time augmentation.

    The scores of a run, of a tune search's best trial and of ``evaluate
    RUN_DIR``: `score` of `evaluation_model` ``(model, config)`` with the
    run's metrics; ``({}, None, None)`` without a test split. ``progress``:
    None shows a bar when `show_bar` says so (on a terminal).
    """
    return scored_test(model, config, prepared, progress)[2:]


def scored_test(model, config, prepared, progress=None):
    """`score_test` with what made it: ``(evaluated model, forward pass, scores, labels, probabilities)``.

    For callers that go on to predict more data with the same evaluation
    model (`kerasreg.engine.calibration.score_test_calibrated`); the first
    two are None without a test split.
    """
    if prepared.test is None:
        return None, None, {}, None, None
    if progress is None:
        progress = show_bar()
    evaluated = evaluation_model(model, config, metrics=())
    forward = forward_pass(evaluated)
    scores, labels, probabilities = score(evaluated, prepared.test, prepared.fresh_metrics(), prepared.outputs,
                                          prepared.one_hot, progress, forward=forward)  # fmt: skip
    return evaluated, forward, scores, labels, probabilities


def calibration_metrics(probabilities, labels):
    """Test NLL, Brier score, 15-bin ECE and adaptive (equal-mass) ECE (`kerasreg.uncertainty`) of probabilities."""
    from kerasreg.uncertainty import adaptive_calibration_error, brier_score, expected_calibration_error, \
        negative_log_likelihood  # fmt: skip

    return {
        "nll": float(negative_log_likelihood(probabilities, labels)),
        "brier": float(brier_score(probabilities, labels)),
        "ece": float(expected_calibration_error(probabilities, labels, num_bins=15)),
        "adaptive_ece": float(adaptive_calibration_error(probabilities, labels, num_bins=15)),
    }


def prediction_scores(probabilities, labels):
    """Accuracy, NLL, Brier score and ECE of predicted probabilities (what ensembles and MC runs report)."""
    return {"accuracy": float(np.mean(np.argmax(probabilities, axis=-1) == labels)),
            **calibration_metrics(probabilities, labels)}  # fmt: skip


def inference_model(model, dataset, outputs, temperature=None):
    """A model of the raw inputs the user passes: kerasreg's scaling built in, probabilities out.

    ``uint8`` images are scaled to [0, 1] as the training pipeline scaled
    them; logits go through the softmax (or sigmoid) the loss applied; a
    regression model's outputs pass unchanged. Test-time augmentation is
    left out: this is the plain model, for deployment. ``temperature``:
    the probabilities come calibrated (`kerasreg.layers.TemperatureScaling`).
    """
    x = dataset.x_train
    inputs = keras.Input(x.shape[1:], dtype=str(x.dtype) if not dataset.is_image else "uint8", name="inputs")
    features = inputs
    if dataset.is_image:
        features = keras.layers.Rescaling(1.0 / 255.0, dtype="float32", name="scale_to_unit")(
            keras.ops.cast(inputs, "float32"))  # fmt: skip
    elif np.issubdtype(x.dtype, np.floating):
        features = keras.ops.cast(inputs, "float32")
    result = model(features, training=False)
    activation = outputs.activation()
    if temperature is not None and outputs.kind != "values":
        from kerasreg.layers import TemperatureScaling

        result = TemperatureScaling(temperature, from_logits=outputs.logits, activation=outputs.kind,
                                    dtype="float32", name="probabilities")(result)  # fmt: skip
    elif activation is not None:
        result = keras.layers.Activation(activation, dtype="float32", name="probabilities")(result)
    return keras.Model(inputs, result, name=f"{model.name}_inference")
