"""Progressive resizing (``data.progressive_size``/``progressive_epochs``): the first epochs train on downscaled
images, the model takes any size, and settings that could do nothing are refused before anything is written."""

import os

import keras
import numpy as np
import pytest

import kerasreg  # noqa: F401  (registers the classes the saved model names)
from kerasreg import engine
from kerasreg.architectures import estimate_flops
from kerasreg.config import ConfigError
from kerasreg.experiment import Experiment
from kerasreg.recipes.cifar import EXPERIMENT
from tests.engine import user_models

# The cpu-10min preset (which resizes progressively itself) at full size throughout, on 96 synthetic images.
SMALL = {"data.source": "synthetic", "data.synthetic_examples": 96, "training.batch_size": 16, "training.epochs": 3,
         "model.width": 4, "logging.tensorboard": False, "data.progressive_size": 0, "data.progressive_epochs": 0}  # fmt: skip
PROGRESSIVE = {"data.progressive_size": 20, "data.progressive_epochs": 2}


def prepared(values):
    config = EXPERIMENT.resolve({**SMALL, **values}, preset="cpu-10min", log=lambda *_: None)
    return engine.prepare(config, EXPERIMENT)


def test_the_first_epochs_batches_are_downscaled_and_the_model_takes_any_size():
    run = prepared(PROGRESSIVE)
    assert run.model.input_shape == (None, None, None, 3)
    sizes = [tuple(images.shape[1:3]) for images, _ in run.train]
    per_epoch = run.steps_per_epoch
    assert sizes == [(20, 20)] * (2 * per_epoch) + [(32, 32)] * per_epoch
    # Validation and test see the full size.
    assert {tuple(images.shape[1:3]) for images, _ in run.validation} == {(32, 32)}
    # The same net as without it, only its input open: the same weights, and as many multiply-adds at 32x32.
    fixed = prepared({}).model
    assert fixed.input_shape == (None, 32, 32, 3)
    assert [w.shape for w in run.model.weights] == [w.shape for w in fixed.weights]
    assert estimate_flops(run.model, (32, 32, 3)) == estimate_flops(fixed)
    assert estimate_flops(run.model, (20, 20, 3)) < 0.5 * estimate_flops(fixed)  # 19x19 maps after the stem, not 31x31
    with pytest.raises(ValueError, match="pass the `input_shape`"):
        estimate_flops(run.model)


def test_a_run_trains_scores_the_test_set_at_full_size_and_saves_a_model_for_any_size(tmp_path):
    values = {**SMALL, **PROGRESSIVE, "training.test_time_augmentation": "flip_translate"}
    run = EXPERIMENT.train(values, preset="cpu-10min", run_dir=str(tmp_path / "run"), log=lambda *_: None)
    results = run.results
    assert results["epochs_run"] == 3 and len(results["history"]["loss"]) == 3
    assert results["config"]["data"]["progressive_size"] == 20
    assert 0.0 <= results["test"]["accuracy"] <= 1.0
    model = keras.models.load_model(tmp_path / "run" / "model.keras")
    x = np.random.default_rng(0).random((2, 32, 32, 3)).astype("float32")
    small = np.random.default_rng(0).random((2, 20, 20, 3)).astype("float32")
    assert model.predict(x, verbose=0).shape == model.predict(small, verbose=0).shape == (2, 10)


@pytest.mark.parametrize(
    "values, message",
    [
        ({"data.progressive_size": 20, "data.progressive_epochs": 3},
         r"data.progressive_epochs=3 must be less than training.epochs=3, so that the last epochs train at the full size"),
        ({"data.progressive_size": 32, "data.progressive_epochs": 1},
         r"data.progressive_size=32 must be less than the images' 32x32 \(it downscales them\)"),
    ],
)  # fmt: skip
def test_bounds_that_need_the_data_and_the_run_length_are_config_errors(values, message):
    with pytest.raises(ConfigError, match=message):
        prepared(values)


def test_a_user_model_built_for_one_size_is_refused_and_tabular_data_has_no_images(tmp_path):
    def fixed_cnn(*, num_classes):
        inputs = keras.Input((8, 8, 3))  # ignores the input_shape it is given
        features = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3)(inputs))
        return keras.Model(inputs, keras.layers.Dense(num_classes)(features))

    values = {"training.epochs": 2, "training.batch_size": 8, "data.progressive_size": 6, "data.progressive_epochs": 1}
    exp = Experiment(model=fixed_cnn, data=user_models.images(), logdir=str(tmp_path), name="fixed")
    with pytest.raises(ConfigError, match=r"data.progressive_size=6 feeds fixed_cnn\(\) smaller images, but it takes "
                                          r"only inputs of shape \(8, 8, 3\)"):  # fmt: skip
        exp.train(values, log=lambda *_: None)
    # The same values on a builder that reads input_shape train.
    exp = Experiment(model=user_models.small_cnn, data=user_models.images(), logdir=str(tmp_path), name="open")
    assert exp.train(values, log=lambda *_: None).results["epochs_run"] == 2
    exp = Experiment(model=user_models.dropout_mlp, data=user_models.tabular(), logdir=str(tmp_path), name="rows")
    with pytest.raises(ConfigError, match=r"data.progressive_size=6 applies to uint8 images only"):
        exp.train(values, log=lambda *_: None)
    assert not os.path.exists(tmp_path / "fixed") and not os.path.exists(tmp_path / "rows")  # nothing half-written


def test_the_memory_check_counts_a_model_for_any_size_at_the_images_size(monkeypatch):
    from kerasreg.engine import preparation

    monkeypatch.setattr(preparation, "_memory_bytes", lambda: 2**20)  # a machine of 1 MiB
    with pytest.raises(ConfigError, match=r"training.batch_size=16 needs at least .* more than this machine's"):
        prepared(PROGRESSIVE)
