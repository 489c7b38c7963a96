"""``data.known_classes``: from ``--set`` and TOML to a run that trains a k-class model and holds out the rest."""

import keras
import numpy as np
import pytest

import kerasreg
from kerasreg.config import ConfigError
from kerasreg.engine import prepare

QUIET = dict(log=lambda *_: None)


def _data(n=96, classes=4, seed=0):
    """Float features whose class is which of ``classes`` features is largest; 64 train, 32 test."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, classes)).astype("float32")
    y = np.argmax(x, axis=1).astype("int64")
    return x[:64], y[:64], x[64:], y[64:]


def build(hidden=8, *, input_shape, num_classes):
    inputs = keras.Input(input_shape)
    h = keras.layers.Dense(hidden, activation="relu")(inputs)
    return keras.Model(inputs, keras.layers.Dense(num_classes)(h))


def _experiment(tmp_path, data=None):
    return kerasreg.Experiment(model=build, data=data or _data(), logdir=str(tmp_path), name="open",
                               config={"logging.tensorboard": False})  # fmt: skip


def test_known_classes_from_set_and_from_toml(tmp_path):
    exp = _experiment(tmp_path)
    assert exp.resolve(**QUIET).data.known_classes == [], "all classes by default"
    assert exp.resolve(overrides=["data.known_classes=[2,0,3]"], **QUIET).data.known_classes == [2, 0, 3]
    path = tmp_path / "open.toml"
    path.write_text("[data]\nknown_classes = [1, 3]\n")
    assert exp.resolve(config_file=str(path), **QUIET).data.known_classes == [1, 3]


@pytest.mark.parametrize(
    "setting, message",
    [
        ("[1, 1]", "Invalid value received for argument `data.known_classes`. Expected distinct class indices. "
                   "Received: data.known_classes=[1, 1]"),
        ("[2]", "Invalid value received for argument `data.known_classes`. Expected at least 2 class indices, [] for "
                "all classes. Received: data.known_classes=[2]"),
        ("[0, -1]", "Invalid value received for argument `data.known_classes`. Expected a list of class indices "
                    "(integers >= 0), [] for all classes. Received: data.known_classes=[0, -1]"),
        ("[0, 1.0]", "Invalid value received for argument `data.known_classes`. Expected a list of class indices "
                     "(integers >= 0), [] for all classes. Received: data.known_classes=[0, 1.0]"),
        ("3", "data.known_classes expects a list, got 3 (int)"),
    ],
)
def test_bad_known_classes_are_config_errors_before_the_data_is_read(tmp_path, setting, message):
    with pytest.raises(ConfigError) as error:
        _experiment(tmp_path).resolve(overrides=[f"data.known_classes={setting}"], **QUIET)
    assert str(error.value) == message


def test_a_run_trains_on_the_known_classes_and_holds_out_the_test_images_of_the_others(tmp_path):
    data = _data()
    exp = _experiment(tmp_path, data)
    config = exp.resolve({"data.known_classes": [2, 0, 3]}, seed=0, epochs=1, **QUIET)
    prepared = prepare(config, exp)
    assert prepared.model.output_shape == (None, 3)
    assert prepared.dataset.class_names == ("2", "0", "3")
    assert prepared.num_train + prepared.num_validation == int(np.isin(data[1], [2, 0, 3]).sum())
    assert set(np.unique(prepared.dataset.y_train).tolist()) <= {0, 1, 2}
    np.testing.assert_array_equal(prepared.ood_test, data[2][data[3] == 1])
    assert prepared.ood_class_names == ("1",)
    # Training and the test metrics run on the relabelled classes.
    run = exp.train({"data.known_classes": [2, 0, 3]}, seed=0, epochs=1, **QUIET)
    assert run.results["data"]["classes"] == ["2", "0", "3"]
    assert run.results["data"]["test"] == int(np.isin(data[3], [2, 0, 3]).sum())
    assert 0 <= run.test["accuracy"] <= 1


@pytest.mark.parametrize(
    "known, message",
    [
        ([0, 7], "Expected class indices in [0, 3] (arrays has 4 classes). Received: data.known_classes=[0, 7]"),
        ([3, 1, 0, 2], "Expected at most 3 of the 4 classes of arrays, so that some are left out. "
                       "Received: data.known_classes=[3, 1, 0, 2]"),
    ],
)
def test_the_range_is_checked_against_the_data_when_it_is_loaded(tmp_path, known, message):
    exp = _experiment(tmp_path)
    config = exp.resolve({"data.known_classes": known}, epochs=1, **QUIET)
    with pytest.raises(ConfigError) as error:
        prepare(config, exp)
    assert str(error.value) == f"Invalid value received for argument `data.known_classes`. {message}"
    assert not list(tmp_path.iterdir()), "nothing written"


def test_data_without_class_labels_refuses_known_classes(tmp_path):
    x, _, x_test, _ = _data()
    exp = _experiment(tmp_path, (x, x[:, 0], x_test, x_test[:, 0]))
    config = exp.resolve({"data.known_classes": [0, 1]}, epochs=1, **QUIET)
    with pytest.raises(ConfigError, match=r"^Invalid value received for argument `data.known_classes`. Expected \[\] "
                                          r"for data without integer class labels"):  # fmt: skip
        prepare(config, exp)
