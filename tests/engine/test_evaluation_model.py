"""`engine.evaluation_model`: flip test-time augmentation averages the logits of an image and its mirror."""

import keras
import numpy as np
import pytest

from kerasreg.config import ConfigError, ExperimentConfig, resolve
from kerasreg import engine


def small_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 5, 2)), keras.layers.Flatten(), keras.layers.Dense(3)])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def config(tta):
    return resolve(ExperimentConfig(), overrides=[f'training.test_time_augmentation="{tta}"'])


def test_none_is_the_model_itself():
    model = small_model()
    assert engine.evaluation_model(model, config("none")) is model


def test_flip_averages_the_logits_of_each_image_and_its_mirror():
    model = small_model()
    x = np.random.default_rng(0).normal(size=(16, 6, 5, 2)).astype("float32")
    y = np.random.default_rng(1).integers(0, 3, size=16)
    wrapped = engine.evaluation_model(model, config("flip"))
    expected = (model.predict(x, verbose=0) + model.predict(x[:, :, ::-1], verbose=0)) / 2
    np.testing.assert_allclose(wrapped.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    metrics = wrapped.evaluate(x, y, verbose=0, return_dict=True)
    assert metrics["accuracy"] == pytest.approx(np.mean(expected.argmax(1) == y))
    loss = -np.mean(np.log(np.exp(expected)[np.arange(16), y] / np.exp(expected).sum(1)))
    assert metrics["loss"] == pytest.approx(loss, rel=1e-5)


def test_flip_translate_is_airbench_level_2():
    """Half the flip average, a quarter each for the reflect-padded one-pixel shifts up-left and down-right."""
    model = small_model()
    x = np.random.default_rng(0).normal(size=(16, 6, 5, 2)).astype("float32")
    wrapped = engine.evaluation_model(model, config("flip_translate"))

    def flip_average(images):
        return (model.predict(images, verbose=0) + model.predict(images[:, :, ::-1], verbose=0)) / 2

    padded = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
    expected = (
        flip_average(x) / 2
        + flip_average(padded[:, :6, :5]) / 4
        + flip_average(padded[:, 2:, 2:]) / 4
    )
    np.testing.assert_allclose(wrapped.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    # The shifts are real: the result differs from flip alone.
    assert np.abs(expected - flip_average(x)).max() > 1e-3


def test_flip_translate_of_a_model_for_any_image_size_shifts_within_the_image():
    # Progressive resizing builds models on (None, None, channels): the shifted views must keep the size.
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, None, 2))
    features = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    logits = keras.layers.Dense(3)(keras.layers.GlobalAveragePooling2D()(features))
    model = keras.Model(inputs, logits)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.random.default_rng(0).normal(size=(8, 6, 5, 2)).astype("float32")
    wrapped = engine.evaluation_model(model, config("flip_translate"))

    def flip_average(images):
        return (model.predict(images, verbose=0) + model.predict(images[:, :, ::-1], verbose=0)) / 2

    padded = np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
    expected = flip_average(x) / 2 + flip_average(padded[:, :6, :5]) / 4 + flip_average(padded[:, 2:, 2:]) / 4
    np.testing.assert_allclose(wrapped.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_unknown_test_time_augmentation_is_a_config_error():
    with pytest.raises(ConfigError, match="test_time_augmentation.*'none', 'flip', 'flip_translate'"):
        config("crop")


class CountRows(keras.layers.Layer):
    """Passes its input through and counts the rows it has seen (a variable: it counts inside compiled calls too)."""

    def build(self, input_shape):
        self.rows = self.add_weight(shape=(), initializer="zeros", trainable=False, name="rows")

    def call(self, x):
        self.rows.assign_add(keras.ops.cast(keras.ops.shape(x)[0], "float32"))
        return x


def counting_model():
    """``small_model`` with a row counter in front and both kinds of regularization loss (weights, activity)."""
    keras.utils.set_random_seed(0)
    counter = CountRows()
    model = keras.Sequential([
        keras.Input((6, 5, 2)), counter, keras.layers.Flatten(),
        keras.layers.Dense(3, kernel_regularizer=keras.regularizers.L2(0.1),
                           activity_regularizer=keras.regularizers.L1(0.01)),
    ])  # fmt: skip
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model, counter


def batches(x, *arrays, batch_size=8):
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((x, *arrays)).batch(batch_size)


@pytest.mark.parametrize("tta, views", [("none", 1), ("flip", 2)])
def test_score_is_what_evaluate_reports_from_one_forward_pass(tta, views):
    model, counter = counting_model()
    x = np.random.default_rng(0).normal(size=(20, 6, 5, 2)).astype("float32")
    y = np.random.default_rng(1).integers(0, 3, size=20)
    evaluated = engine.evaluation_model(model, config(tta), metrics=())
    metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy"), "sparse_top_k_categorical_accuracy"]
    scores, labels, probabilities = engine.score(evaluated, batches(x, y), metrics, engine.Outputs("softmax", True),
                                                 one_hot=False)  # fmt: skip
    # Batches of 8, 8 and 4: each example through the model once per view, the short batch included.
    assert float(counter.rows.numpy()) == 20 * views
    reference = engine.evaluation_model(model, config(tta), metrics=metrics)
    expected = reference.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    assert list(scores)[:3] == ["loss", "accuracy", "sparse_top_k_categorical_accuracy"]
    for name, value in expected.items():  # the loss holds both regularization terms
        assert scores[name] == pytest.approx(value, rel=1e-5, abs=1e-6), name
    logits = reference.predict(x, batch_size=8, verbose=0).astype("float64")
    softmax = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(probabilities, softmax / softmax.sum(1, keepdims=True), rtol=1e-5, atol=1e-6)
    assert labels.tolist() == y.tolist()
    assert scores["nll"] == pytest.approx(-np.mean(np.log(probabilities[np.arange(20), y])))


def test_score_of_a_regression_with_sample_weights_and_a_metric_object_used_before():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    used = keras.metrics.RootMeanSquaredError(name="rmse")
    model.compile(loss="mse", metrics=["mae", used])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(13, 4)).astype("float32"), rng.normal(size=(13, 1)).astype("float32")
    weights = rng.uniform(0.5, 2.0, size=13).astype("float32")
    used.update_state(np.full((3, 1), 100.0), np.zeros((3, 1)))  # a state the scores must not carry
    scores, labels, probabilities = engine.score(model, batches(x, y, weights, batch_size=5), ["mae", used],
                                                 engine.Outputs("values", False), one_hot=False)  # fmt: skip
    assert labels is None and probabilities is None
    expected = model.evaluate(x, y, sample_weight=weights, batch_size=5, verbose=0, return_dict=True)
    assert set(scores) == set(expected) == {"loss", "mae", "rmse"}
    for name, value in expected.items():  # weights weigh the loss; compiled metrics are unweighted
        assert scores[name] == pytest.approx(value, rel=1e-5), name


def test_a_runs_test_set_is_scored_in_one_pass_with_the_scores_evaluate_gives():
    import kerasreg
    from tests.engine import user_models

    def counting_mlp(hidden=8, *, input_shape):
        inputs = keras.Input(input_shape)
        h = keras.layers.Dense(hidden, activation="relu")(CountRows(name="count")(inputs))
        return keras.Model(inputs, keras.layers.Dense(2)(h))

    exp = kerasreg.Experiment(model=counting_mlp, data=user_models.tabular(), name="count",
                              metrics=["accuracy", keras.metrics.SparseCategoricalCrossentropy(from_logits=True)])  # fmt: skip
    prepared = engine.prepare(exp.resolve(seed=0, log=lambda *_: None), exp, check_noops=False)
    rows = prepared.model.get_layer("count").rows
    rows.assign(0.0)
    scores, labels, probabilities, _ = engine.evaluate_test(prepared, prepared.config)
    # The 24 test examples once, and the 7 validation examples once (the temperature is fitted on them).
    assert float(rows.numpy()) == 24 + prepared.num_validation == 31
    expected = prepared.model.evaluate(prepared.test, verbose=0, return_dict=True)
    assert {"loss", "accuracy", "sparse_categorical_crossentropy", "nll", "brier", "ece", "adaptive_ece"} == set(scores)
    for name, value in expected.items():
        assert scores[name] == pytest.approx(value, rel=1e-5, abs=1e-6), name
    assert scores["nll"] == pytest.approx(expected["loss"], rel=1e-5)  # the same cross-entropy, from the probabilities
    assert len(labels) == len(probabilities) == 24


def test_one_traced_step_per_model_raises_no_retracing_warning_but_others_still_do():
    import logging

    import tensorflow as tf

    from kerasreg.engine.evaluation import forward_pass

    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = tf.get_logger()
    logger.addHandler(handler)
    try:
        x, y = np.ones((4, 3), "float32"), np.zeros((4,), "int64")
        for _ in range(7):  # as a comparison does: a new model, a new step, traced once each
            model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
            model.compile(loss="sparse_categorical_crossentropy")
            forward_pass(model)(x, y, None)
        ours = [r.getMessage() for r in records if "retracing" in r.getMessage()]
        # The same loop with a function of our own is still flagged: the filter is that narrow.
        for k in range(7):
            def other(t):
                return t * 2

            tf.function(other)(tf.constant(float(k)))
    finally:
        logger.removeHandler(handler)
    assert ours == []
    assert any("retracing" in r.getMessage() and "other" in r.getMessage() for r in records)
