import keras
import numpy as np
from keras import ops

from kerasreg.layers import MultiSampleDropout
from kerasreg.layers.multi_sample_dropout import multi_sample_inputs
from kerasreg.models import MultiSampleModel
from tests.layer_harness import run_layer_test

SAMPLES, BATCH, FEATURES, CLASSES = 4, 6, 5, 3


def test_harness():
    run_layer_test(
        lambda: MultiSampleDropout(keras.layers.Dense(CLASSES), num_samples=SAMPLES, rate=0.5, seed=1),
        (BATCH, FEATURES),
        (BATCH, CLASSES),
        expected_training_shape=(SAMPLES * BATCH, CLASSES),
        model_cls=MultiSampleModel,
    )


def test_stacked_samples_have_independent_masks():
    stacked = ops.convert_to_numpy(
        multi_sample_inputs(np.ones((500, 40), "float32"), 8, 0.5, keras.random.SeedGenerator(0))
    ).reshape(8, 500, 40)
    assert abs((stacked == 0).mean() - 0.5) < 0.02
    assert abs(stacked.mean() - 1.0) < 0.02
    agreement = (stacked[0] == stacked[1]).mean()
    assert abs(agreement - 0.5) < 0.05, "two masks agree only by chance"


def test_inference_is_one_pass_without_dropout():
    head = keras.layers.Dense(CLASSES)
    layer = MultiSampleDropout(head, num_samples=SAMPLES, rate=0.5)
    x = np.random.default_rng(0).normal(size=(BATCH, FEATURES)).astype("float32")
    np.testing.assert_allclose(ops.convert_to_numpy(layer(x)), ops.convert_to_numpy(head(x)), rtol=1e-6)
    mc = MultiSampleDropout(keras.layers.Dense(CLASSES), num_samples=SAMPLES, rate=0.5, mc=True)
    a, b = mc(x), mc(x)
    assert tuple(a.shape) == (BATCH, CLASSES) and not np.allclose(ops.convert_to_numpy(a), ops.convert_to_numpy(b))


def test_rate_zero_is_the_plain_head():
    head = keras.layers.Dense(CLASSES)
    x = np.random.default_rng(0).normal(size=(BATCH, FEATURES)).astype("float32")
    out = MultiSampleDropout(head, num_samples=SAMPLES, rate=0.0)(x, training=True)
    np.testing.assert_array_equal(ops.convert_to_numpy(out), ops.convert_to_numpy(head(x)))


def _model(seed):
    inputs = keras.Input((FEATURES,))
    head = keras.layers.Dense(CLASSES, activation="softmax")
    outputs = MultiSampleDropout(head, num_samples=SAMPLES, rate=0.5, seed=seed)(inputs)
    return MultiSampleModel(inputs, outputs)


def test_fit_step_follows_the_mean_of_per_sample_gradients():
    """With SGD(lr=1), a step moves the weights by minus the gradient.

    The reference trains a plain Dense head separately on each sample's
    dropped inputs (same masks, drawn again from the same seed state) and
    averages those steps: the mean of the per-sample gradients.
    """
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, FEATURES)).astype("float32")
    y = rng.integers(0, CLASSES, size=(BATCH,))
    weights = rng.uniform(0.5, 2.0, size=(BATCH,)).astype("float32")

    model = _model(seed=11)
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="sparse_categorical_crossentropy")
    layer = model.layers[1]
    start = [w.copy() for w in model.get_weights()]
    replica = keras.random.SeedGenerator(0)
    # A copy, not the same buffer: the JAX trainer donates state buffers.
    replica.state.assign(np.array(ops.convert_to_numpy(layer.seed_generator.state)))
    model.train_on_batch(x, y, sample_weight=weights)
    update = [after - before for after, before in zip(model.get_weights(), start)]

    dropped = ops.convert_to_numpy(multi_sample_inputs(x, SAMPLES, 0.5, replica))
    per_sample = []
    for s in range(SAMPLES):
        inputs = keras.Input((FEATURES,))
        plain = keras.Model(inputs, keras.layers.Dense(CLASSES, activation="softmax")(inputs))
        plain.set_weights(start)
        plain.compile(optimizer=keras.optimizers.SGD(1.0), loss="sparse_categorical_crossentropy")
        plain.train_on_batch(dropped[s * BATCH:(s + 1) * BATCH], y, sample_weight=weights)
        per_sample.append([after - before for after, before in zip(plain.get_weights(), start)])
    mean_update = [np.mean(parts, axis=0) for parts in zip(*per_sample)]
    assert np.abs(update[0]).max() > 1e-3
    for got, expected in zip(update, mean_update):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)


def test_training_loss_is_mean_of_per_sample_losses():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(BATCH, FEATURES)).astype("float32")
    y = rng.integers(0, CLASSES, size=(BATCH,))
    model = _model(seed=5)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    stacked = model(x, training=True)
    loss = float(ops.convert_to_numpy(model.compute_loss(x, y, stacked, training=True)))
    losses = keras.losses.sparse_categorical_crossentropy(np.tile(y, SAMPLES), stacked, from_logits=False)
    per_sample = ops.convert_to_numpy(losses).reshape(SAMPLES, BATCH).mean(axis=1)
    np.testing.assert_allclose(loss, per_sample.mean(), rtol=1e-5)
    # fit, evaluate and predict all run with ordinary losses and metrics.
    history = model.fit(x, y, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}
    assert np.isfinite(model.evaluate(x, y, verbose=0)).all()
    assert model.predict(x, verbose=0).shape == (BATCH, CLASSES)
