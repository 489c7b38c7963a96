import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasreg.schedules.lr_finder import (
    LRFinderResult,
    RangeTestSchedule,
    find_lr,
    steepest_descent_lr,
    valley_lr,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

RNG = np.random.default_rng(0)
X = RNG.normal(size=(256, 4)).astype("float32")
TRUE_W = np.array([1.0, -2.0, 0.5, 3.0], "float32")
Y_CLASS = (X @ TRUE_W > 0).astype("int32")
Y_REG = (X @ TRUE_W)[:, None].astype("float32")


def classifier(optimizer=None):
    """A tiny classifier with every kind of state: weights, BN statistics, a seed."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(16),
            keras.layers.BatchNormalization(),
            keras.layers.Activation("relu"),
            keras.layers.Dropout(0.2, seed=1),
            keras.layers.Dense(2),
        ]
    )
    model.compile(
        optimizer or keras.optimizers.SGD(0.05, momentum=0.9),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def regressor(optimizer=None):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer or keras.optimizers.SGD(0.01), "mse")
    return model


def values(variables):
    return [np.array(keras.ops.convert_to_numpy(v), copy=True) for v in variables]


def assert_same(before, variables):
    after = values(variables)
    assert len(before) == len(after)
    for old, new in zip(before, after):
        np.testing.assert_array_equal(old, new)


def test_model_and_optimizer_state_are_restored():
    model = classifier()
    model.fit(X, Y_CLASS, batch_size=32, epochs=1, verbose=0)  # non-zero slots and iterations
    optimizer = model.optimizer
    lr_variable = optimizer._learning_rate
    tracked = [id(v) for v in optimizer.variables]
    model_before, optimizer_before = values(model.variables), values(optimizer.variables)
    iterations = int(keras.ops.convert_to_numpy(optimizer.iterations))

    result = find_lr(model, (X, Y_CLASS), min_lr=1e-4, max_lr=1.0, num_steps=12, batch_size=32)

    assert isinstance(result, LRFinderResult)
    assert len(result.learning_rates) == len(result.losses) == len(result.smoothed_losses) == 12
    assert_same(model_before, model.variables)
    assert_same(optimizer_before, optimizer.variables)
    assert int(keras.ops.convert_to_numpy(optimizer.iterations)) == iterations
    # The very same learning-rate variable, still tracked, in the same place.
    assert optimizer._learning_rate is lr_variable
    assert [id(v) for v in optimizer.variables] == tracked
    assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == pytest.approx(0.05)
    assert model.stop_training is False
    # Training goes on from where it was.
    model.fit(X, Y_CLASS, batch_size=32, epochs=1, verbose=0)
    assert int(keras.ops.convert_to_numpy(optimizer.iterations)) == iterations + 8


def test_unbuilt_optimizer_is_built_and_restored_after_divergence():
    model = regressor()
    assert not model.optimizer.built
    model_before = values(model.variables)

    result = find_lr(model, (X, Y_REG), min_lr=1e-3, max_lr=1e6, num_steps=60, batch_size=32)

    assert result.stopped_early
    assert len(result.learning_rates) < 60
    assert model.optimizer.built
    assert_same(model_before, model.variables)
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == 0
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.01)


@pytest.mark.parametrize("mode", ["exponential", "linear"])
def test_learning_rates_follow_the_ramp(mode):
    min_lr, max_lr, num_steps = 1e-4, 1e-1, 10
    result = find_lr(
        regressor(), (X, Y_REG), min_lr=min_lr, max_lr=max_lr, num_steps=num_steps,
        mode=mode, batch_size=32,
    )
    assert not result.stopped_early
    t = np.arange(num_steps) / (num_steps - 1)
    if mode == "exponential":
        expected = min_lr * (max_lr / min_lr) ** t
    else:
        expected = min_lr + (max_lr - min_lr) * t
    np.testing.assert_allclose(result.learning_rates, expected, rtol=1e-5)
    assert result.learning_rates[0] == pytest.approx(min_lr, rel=1e-6)
    assert result.learning_rates[-1] == pytest.approx(max_lr, rel=1e-6)


def test_range_test_schedule_counts_from_start_step_and_serializes():
    schedule = RangeTestSchedule(1e-3, 1.0, num_steps=4, start_step=100)
    rates = keras.ops.convert_to_numpy(schedule(np.array([100, 101, 103, 200])))
    np.testing.assert_allclose(rates, [1e-3, 1e-2, 1.0, 1.0], rtol=1e-5)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert isinstance(clone, RangeTestSchedule) and clone.get_config() == schedule.get_config()


def test_per_step_losses_are_recovered_from_the_running_mean():
    # Learning rates so small that the weights do not move: the loss of each
    # step must be the loss of its batch, not Keras's running epoch mean.
    model = regressor()
    batches = [(X[i * 32 : (i + 1) * 32], Y_REG[i * 32 : (i + 1) * 32] * (i + 1)) for i in range(4)]
    expected = [float(model.evaluate(bx, by, batch_size=32, verbose=0)) for bx, by in batches]
    dataset = tf.data.Dataset.from_tensor_slices(
        (np.stack([b[0] for b in batches]), np.stack([b[1] for b in batches]))
    )  # finite, four batches: find_lr repeats it

    result = find_lr(model, dataset, min_lr=1e-12, max_lr=1e-11, num_steps=10, smoothing=0.0,
                      divergence_threshold=1e6)

    np.testing.assert_allclose(result.losses, (expected * 3)[:10], rtol=1e-4)
    np.testing.assert_allclose(result.smoothed_losses, result.losses)


def test_divergence_stops_early_and_suggestions_are_sane():
    min_lr, max_lr = 1e-5, 1e4
    result = find_lr(
        regressor(), (X, Y_REG), min_lr=min_lr, max_lr=max_lr, num_steps=80, batch_size=32
    )
    assert result.stopped_early
    assert len(result.learning_rates) < 80
    diverged_at = result.learning_rates[-1]
    last = result.smoothed_losses[-1]
    assert not math.isfinite(last) or last > 4.0 * np.nanmin(result.smoothed_losses[:-1])
    for value in (result.suggestion, result.valley):
        assert min_lr <= value <= max_lr
    assert result.suggestion < diverged_at


def test_suggestion_rules_on_a_synthetic_curve():
    lrs = np.logspace(-6, 1, 100)
    # Flat, then falling fastest around 1e-3, bottoming out near 1e-1, then up.
    loss = 2.0 - np.tanh((np.log10(lrs) + 3.0) * 1.5) + np.maximum(0.0, np.log10(lrs) + 1.0) ** 2 * 5
    assert 10**-3.3 < steepest_descent_lr(lrs, loss) < 10**-2.7
    assert 10**-3.5 < valley_lr(lrs, loss) < 10**-0.5
    assert math.isnan(steepest_descent_lr([], [])) and math.isnan(valley_lr([], []))
    # Non-finite points end the usable curve.
    assert steepest_descent_lr([1e-3, 1e-2], [1.0, np.nan]) == 1e-3


def test_plot_writes_png_and_tensorboard_scalars(tmp_path):
    log_dir = tmp_path / "logs"
    result = find_lr(
        regressor(), (X, Y_REG), min_lr=1e-4, max_lr=1e2, num_steps=20, batch_size=32,
        log_dir=str(log_dir),
    )
    path = result.plot(tmp_path / "lr.png")
    data = (tmp_path / "lr.png").read_bytes()
    assert path == str(tmp_path / "lr.png")
    assert data.startswith(PNG_MAGIC) and len(data) > 1000
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp")] == []
    with pytest.raises(ValueError, match=r"path='lr.jpg'"):
        result.plot("lr.jpg")

    event_files = list(log_dir.rglob("events.out.tfevents.*"))
    assert event_files
    try:
        from tensorflow.core.util import event_pb2  # noqa: F401
    except ImportError:  # pragma: no cover - TensorBoard reading unavailable
        pytest.skip("cannot read TensorBoard event files")
    tags, steps = {}, {}
    for event_file in event_files:
        for record in tf.data.TFRecordDataset(str(event_file)):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                scalar = float(tf.make_ndarray(value.tensor))
                tags.setdefault(value.tag, []).append(scalar)
                steps.setdefault(value.tag, []).append(event.step)
    assert set(tags) == {"lr_finder/loss", "lr_finder/smoothed_loss", "lr_finder/learning_rate"}
    count = len(result.learning_rates)
    assert steps["lr_finder/learning_rate"] == list(range(count))
    np.testing.assert_allclose(tags["lr_finder/learning_rate"], result.learning_rates, rtol=1e-6)
    np.testing.assert_allclose(tags["lr_finder/smoothed_loss"], result.smoothed_losses, rtol=1e-5)


def test_schedule_object_is_put_back_and_training_continues():
    schedule = keras.optimizers.schedules.CosineDecay(0.05, decay_steps=100)
    model = classifier(keras.optimizers.Adam(schedule))
    model.fit(X, Y_CLASS, batch_size=64, epochs=1, verbose=0)
    before = values(model.variables), values(model.optimizer.variables)

    find_lr(model, (X, Y_CLASS), min_lr=1e-5, max_lr=1.0, num_steps=10, batch_size=32)

    assert model.optimizer._learning_rate is schedule
    assert_same(before[0], model.variables)
    assert_same(before[1], model.optimizer.variables)
    history = model.fit(X, Y_CLASS, batch_size=64, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == 8
    # The cosine schedule continues from step 8, not from the sweep's steps.
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(
        float(keras.ops.convert_to_numpy(schedule(8))), rel=1e-6
    )


def test_state_is_restored_when_training_fails():
    model = regressor()
    model.optimizer.build(model.trainable_variables)
    before = values(model.variables)
    lr_variable = model.optimizer._learning_rate

    def broken():
        yield X[:8], Y_REG[:8]
        raise RuntimeError("data source failed")

    dataset = tf.data.Dataset.from_generator(
        broken,
        output_signature=(
            tf.TensorSpec((None, 4), tf.float32),
            tf.TensorSpec((None, 1), tf.float32),
        ),
    )
    with pytest.raises(Exception, match="data source failed"):  # from inside fit
        find_lr(model, dataset.repeat(), num_steps=5)
    assert model.optimizer._learning_rate is lr_variable
    assert_same(before, model.variables)
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == 0


def _uncompiled():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"min_lr": 0.0}, "min_lr=0.0"),
        ({"min_lr": -1e-3}, "min_lr=-0.001"),
        ({"min_lr": 1e-2, "max_lr": 1e-3}, "max_lr=0.001"),
        ({"min_lr": 1e-2, "max_lr": 1e-2}, "max_lr=0.01"),
        ({"num_steps": 1}, "num_steps=1"),
        ({"num_steps": 10.0}, "num_steps=10.0"),
        ({"mode": "cosine"}, "mode='cosine'"),
        ({"smoothing": 1.0}, "smoothing=1.0"),
        ({"smoothing": -0.5}, "smoothing=-0.5"),
        ({"divergence_threshold": 1.0}, "divergence_threshold=1.0"),
        ({"divergence_threshold": float("inf")}, "divergence_threshold=inf"),
        ({"batch_size": None}, "batch_size=None"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"data": "train.csv"}, "data='train.csv'"),
        ({"model": "uncompiled"}, "Received: model=<Sequential"),
    ],
)
def test_invalid_arguments(kwargs, message):
    arguments = {"model": regressor(), "data": (X, Y_REG), "batch_size": 32}
    arguments.update(kwargs)
    if arguments["model"] == "uncompiled":
        arguments["model"] = _uncompiled()
    with pytest.raises(ValueError, match="Invalid value received for argument") as info:
        find_lr(**arguments)
    assert message in str(info.value)
    name = message.split("=")[0].replace("Received: ", "")
    assert f"`{name}`" in str(info.value)


def test_dataset_with_batch_size_is_refused():
    dataset = tf.data.Dataset.from_tensor_slices((X, Y_REG)).batch(32)
    with pytest.raises(ValueError, match="batch_size=32"):
        find_lr(regressor(), dataset, batch_size=32)
