"""Scoring a trained model: test-time augmentation, probabilities, calibration, and the inference model."""

import keras
import numpy as np

from kerasreg.engine import multi_worker
from kerasreg.engine.losses import Outputs

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
    import tensorflow as tf

    mode = config.training.test_time_augmentation
    if mode == "none":
        return model
    strategy = model.distribute_strategy
    with strategy.scope():
        inputs = keras.Input(model.input_shape[1:])
        logits = _flip_average(model, inputs)
        if mode == "flip_translate":
            height, width = model.input_shape[1:3]
            padded = keras.ops.pad(inputs, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="reflect")
            up_left = padded[:, :height, :width, :]
            down_right = padded[:, 2:, 2:, :]
            shifted = keras.layers.Average(dtype="float32")(
                [_flip_average(model, up_left), _flip_average(model, down_right)]
            )
            logits = keras.layers.Average(dtype="float32", name="translate_average")([logits, shifted])
        wrapped = keras.Model(inputs, logits, name=f"{model.name}_{mode}_tta")
        wrapped.compile(loss=model.loss, metrics=list(metrics) if metrics is not None else ["accuracy"])
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        multi_worker.adapt_model(wrapped, strategy)
    return wrapped


def _flip_average(model, images):
    """The mean of ``model``'s outputs on ``images`` and on their horizontal mirrors."""
    mirrored = keras.ops.flip(images, axis=2)  # channels last: axis 2 is the width
    return keras.layers.Average(dtype="float32")([model(images), model(mirrored)])


def test_predictions(model, test, one_hot, outputs=LOGITS):
    """``(labels, probabilities)`` of a classification test set; ``outputs`` says what the model returns."""
    labels, probabilities = [], []
    for x, y in test:
        probabilities.append(outputs.probabilities(keras.ops.convert_to_numpy(model(x, training=False))))
        y = np.asarray(y)
        labels.append(np.argmax(y, axis=-1) if one_hot else y.reshape(len(y), -1)[:, 0] if y.ndim > 1 else y)
    return np.concatenate(labels).astype("int64"), np.concatenate(probabilities)


def calibration_metrics(probabilities, labels):
    """Test NLL, Brier score and 15-bin ECE (`kerasreg.uncertainty`) of predicted probabilities."""
    from kerasreg.uncertainty import brier_score, expected_calibration_error, negative_log_likelihood

    return {
        "nll": float(negative_log_likelihood(probabilities, labels)),
        "brier": float(brier_score(probabilities, labels)),
        "ece": float(expected_calibration_error(probabilities, labels, num_bins=15)),
    }


def prediction_scores(probabilities, labels):
    """Accuracy, NLL, Brier score and ECE of predicted probabilities (what ensembles and MC runs report)."""
    return {"accuracy": float(np.mean(np.argmax(probabilities, axis=-1) == labels)),
            **calibration_metrics(probabilities, labels)}  # fmt: skip


def inference_model(model, dataset, outputs):
    """A model of the raw inputs the user passes: kerasreg's scaling built in, probabilities out.

    ``uint8`` images are scaled to [0, 1] as the training pipeline scaled
    them; logits go through the softmax (or sigmoid) the loss applied; a
    regression model's outputs pass unchanged. Test-time augmentation is
    left out: this is the plain model, for deployment.
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
    if activation is not None:
        result = keras.layers.Activation(activation, dtype="float32", name="probabilities")(result)
    return keras.Model(inputs, result, name=f"{model.name}_inference")
