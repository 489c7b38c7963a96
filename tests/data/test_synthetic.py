"""`load_dataset("synthetic")`: deterministic, and its classes can be learned."""

import keras
import numpy as np
import pytest

from kerasreg.data import load_dataset, make_dataset


def test_shapes_and_balance():
    data = load_dataset("synthetic", synthetic_examples=60, synthetic_shape=(8, 6, 1), synthetic_classes=3)
    assert data.x_train.shape == (60, 8, 6, 1) and data.x_test.shape == (15, 8, 6, 1)
    assert data.class_names == ("class_0", "class_1", "class_2")
    assert np.bincount(data.y_train).tolist() == [20, 20, 20]
    assert data.x_train.dtype == np.uint8 and data.y_train.dtype == np.int64


def test_same_seed_same_data_other_seed_other_data():
    first, again, other = (load_dataset("synthetic", synthetic_examples=64, seed=s) for s in (3, 3, 4))
    for name in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    assert (first.x_train != other.x_train).mean() > 0.5


def test_classes_separate_by_their_means():
    data = load_dataset("synthetic", synthetic_examples=400, seed=1)
    features = lambda x: x.reshape(len(x), -1).astype(float)  # noqa: E731
    means = np.stack([features(data.x_train[data.y_train == c]).mean(0) for c in range(10)])
    distances = ((features(data.x_test)[:, None] - means[None]) ** 2).sum(-1)
    assert (distances.argmin(1) == data.y_test).mean() > 0.9
    # ...while one pixel alone is too noisy to tell all ten classes apart.
    pixel = data.x_train[:, 0, 0, 0].astype(float)
    spread_within = np.mean([pixel[data.y_train == c].std() for c in range(10)])
    assert spread_within > 25


def test_tiny_cnn_beats_chance_in_a_few_steps():
    keras.utils.set_random_seed(0)
    data = load_dataset("synthetic", synthetic_examples=512, seed=0)
    model = keras.Sequential([
        keras.Input(data.input_shape),
        keras.layers.Conv2D(8, 3, activation="relu"),
        keras.layers.MaxPooling2D(4),
        keras.layers.Flatten(),
        keras.layers.Dense(data.num_classes),
    ])  # fmt: skip
    model.compile(
        keras.optimizers.Adam(1e-2),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    train = make_dataset(data.x_train, data.y_train, batch_size=32, training=True, num_classes=10)
    model.fit(train, epochs=1, verbose=0, shuffle=False)  # 16 steps; the pipeline shuffles
    test = make_dataset(data.x_test, data.y_test, batch_size=128, training=False, num_classes=10)
    _, accuracy = model.evaluate(test, verbose=0)
    assert accuracy > 0.3  # chance is 0.1; typically 0.8 to 1.0


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"synthetic_examples": 0}, "synthetic_examples"),
        ({"synthetic_classes": 1}, "synthetic_classes"),
        ({"synthetic_shape": (32, 32)}, "synthetic_shape"),
        ({"synthetic_shape": (32, 32.5, 3)}, "synthetic_shape"),
        ({"seed": -1}, "seed"),
    ],
)
def test_invalid_arguments(kwargs, argument):
    with pytest.raises(ValueError, match=f"Invalid value received for argument `{argument}`"):
        load_dataset("synthetic", **kwargs)
