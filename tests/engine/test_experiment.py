"""`kerasreg.Experiment` with a user's own model and data: every form of model and data, the saved models."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasreg
from kerasreg.config import ConfigError
from tests.engine import user_models

QUIET = dict(log=lambda *_: None)


def test_kerasreg_experiment_is_the_public_class():
    from kerasreg.experiment import Experiment

    assert kerasreg.Experiment is Experiment


def test_a_tabular_run_writes_the_run_and_an_inference_model_of_raw_inputs(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("KERASREG_PROGRESS", raising=False)
    data = user_models.tabular()
    exp = kerasreg.Experiment(model=user_models.dropout_mlp, data=data, logdir=str(tmp_path), name="tab",
                              loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    run = exp.train(seed=0, epochs=2, **QUIET)
    # Not a terminal (captured): one line per epoch after its heading, no progress bar redrawn.
    out = capsys.readouterr().out
    assert [line.split(" - ")[0] for line in out.splitlines()] == ["Epoch 1/2", "3/3", "Epoch 2/2", "3/3"]
    assert "\r" not in out
    names = set(os.listdir(run.run_dir))
    assert {"config.json", "results.json", "run.json", "model.keras", "inference.keras", "resume"} <= names
    assert "checkpoint" not in names  # TensorBoard would try to read a folder of that name as a checkpoint file
    assert any(n.startswith("events.out.tfevents") for n in names)
    results = json.loads((tmp_path / "tab" / os.path.basename(run.run_dir) / "results.json").read_text())
    # The summary names every file the run wrote, and its total time holds the training time.
    assert set(results["files"]) == {"results", "model", "inference_model", "tensorboard", "resume"}
    for name in results["files"].values():
        path = os.path.normpath(os.path.join(run.run_dir, name))
        assert os.path.exists(path) and path in run.summary, name
    assert results["total_seconds"] > results["wall_time_seconds"] > 0
    from kerasreg.engine.training import summary_table

    assert "results.json" not in summary_table(results, files=False)
    # The results.json of a run made before total times and files were recorded still summarizes.
    older = summary_table({k: v for k, v in results.items() if k not in ("total_seconds", "files")})
    assert "training time" in older and "total time" not in older and "results.json" not in older
    assert results["data"]["test"] == 24 and results["data"]["train"] + results["data"]["validation"] == 72
    assert results["objective"]["name"] == "val_accuracy" and results["epochs_run"] == 2
    from kerasreg.version import code_identity

    assert results["versions"]["kerasreg_code"] == code_identity()  # the code that made this run
    # The inference model: raw float features in, probabilities out, equal to softmax of the trained logits.
    trained = keras.models.load_model(os.path.join(run.run_dir, "model.keras"))
    inference = keras.models.load_model(os.path.join(run.run_dir, "inference.keras"))
    x_test = data[2]
    probabilities = keras.ops.convert_to_numpy(inference(x_test))
    logits = keras.ops.convert_to_numpy(trained(x_test)).astype("float64")
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(probabilities, expected, rtol=1e-5, atol=1e-6)
    assert np.mean(np.argmax(probabilities, 1) == data[3]) == pytest.approx(run.test["accuracy"])


def test_the_inference_model_of_uint8_images_scales_them_itself(tmp_path):
    data = user_models.images()
    exp = kerasreg.Experiment(model=user_models.small_cnn, data=data, logdir=str(tmp_path), name="img")
    run = exp.train(seed=0, epochs=1, **QUIET)
    inference = keras.models.load_model(os.path.join(run.run_dir, "inference.keras"))
    trained = keras.models.load_model(os.path.join(run.run_dir, "model.keras"))
    raw = data[2]
    logits = keras.ops.convert_to_numpy(trained(raw.astype("float32") / 255.0)).astype("float64")
    expected = np.exp(logits - logits.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(inference(raw)), expected, rtol=1e-4, atol=1e-6)


def test_a_built_keras_model_is_cloned_with_fresh_seeded_weights_per_run(tmp_path):
    inputs = keras.Input((6,))
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Dense(8, activation="relu")(inputs)))
    exp = kerasreg.Experiment(model=model, data=user_models.tabular(), logdir=str(tmp_path), name="built")
    first = exp.train(seed=1, epochs=1, **QUIET).results["history"]
    again = exp.train(seed=1, epochs=1, **QUIET).results["history"]
    other = exp.train(seed=2, epochs=1, **QUIET).results["history"]
    assert first == again and first != other
    assert not getattr(model, "compiled", False)  # the user's model itself is never trained
    with pytest.raises(ConfigError, match="model 'functional.*' ignores regularization.dropout_rate"):
        exp.train({"regularization.dropout_rate": 0.5}, **QUIET)


def test_a_keras_tuner_hypermodel_and_a_build_hp_function_get_model_keys(tmp_path):
    import keras_tuner as kt

    class Net(kt.HyperModel):
        def build(self, hp):
            inputs = keras.Input((6,))
            h = keras.layers.Dense(hp.Int("units", 4, 32, default=8), activation="relu")(inputs)
            return keras.Model(inputs, keras.layers.Dense(2)(h))

    def build(hp):
        return Net().build(hp)

    for model in (Net(name="net"), build):
        exp = kerasreg.Experiment(model=model, data=user_models.tabular(), logdir=str(tmp_path), name="hyper")
        assert exp.default_config().model == {"units": 8}
        run = exp.train({"model.units": 5}, seed=0, epochs=1, **QUIET)
        assert run.results["parameters"] == 6 * 5 + 5 + 5 * 2 + 2


def test_token_ids_and_tf_data_datasets_train(tmp_path):
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 50, size=(80, 12)).astype("int32")
    labels = (tokens[:, 0] > 25).astype("int64")

    def text_model(dim=8, *, input_shape):
        inputs = keras.Input(input_shape, dtype="int32")
        h = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(50, dim)(inputs))
        return keras.Model(inputs, keras.layers.Dense(2)(h))

    train = tf.data.Dataset.from_tensor_slices((tokens[:60], labels[:60])).batch(16)
    test = tf.data.Dataset.from_tensor_slices((tokens[60:], labels[60:]))
    exp = kerasreg.Experiment(model=text_model, data=(train, test), logdir=str(tmp_path), name="text")
    run = exp.train(seed=0, epochs=1, **QUIET)
    assert run.results["data"]["test"] == 20 and run.results["data"]["train"] + run.results["data"]["validation"] == 60


def test_regression_uses_mse_and_selects_by_val_loss(tmp_path):
    x, _, x_test, _ = user_models.tabular()
    y, y_test = x[:, 0] * 2.0, x_test[:, 0] * 2.0

    def regressor(*, input_shape):
        inputs = keras.Input(input_shape)
        return keras.Model(inputs, keras.layers.Dense(1)(inputs))

    exp = kerasreg.Experiment(model=regressor, data=(x, y, x_test, y_test), logdir=str(tmp_path), name="reg",
                              metrics=["mae"])  # fmt: skip
    run = exp.train(seed=0, epochs=2, **QUIET)
    assert run.results["objective"]["name"] == "val_loss" and run.results["objective"]["mode"] == "min"
    assert set(run.test) == {"loss", "mae"}
    assert isinstance(exp.default_config().model, dict)


def test_binary_auc_objective_drives_early_stopping(tmp_path):
    def logit(hidden=4, *, input_shape):
        inputs = keras.Input(input_shape)
        return keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Dense(hidden, activation="relu")(inputs)))

    exp = kerasreg.Experiment(model=logit, data=user_models.tabular(), logdir=str(tmp_path), name="auc",
                              loss="binary_crossentropy", metrics=["auc"], objective="val_auc")  # fmt: skip
    run = exp.train({"training.early_stopping_patience": 1}, seed=0, epochs=3, **QUIET)
    assert set(run.test) == {"loss", "auc", "nll", "brier", "ece", "adaptive_ece"}
    assert run.results["objective"] == {"name": "val_auc", "mode": "max", "best_epoch": run.results["objective"]["best_epoch"],
                                        "best": max(run.results["history"]["val_auc"])}  # fmt: skip


def test_bad_experiment_arguments_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"argument 'hidden' needs a default \(it is the config key model.hidden\)"):
        kerasreg.Experiment(model=lambda hidden, *, input_shape: None, data=user_models.tabular())
    with pytest.raises(ConfigError, match="objective 'val_auc' names no metric of the run; choose from val_loss, "
                                          "val_accuracy"):
        kerasreg.Experiment(model=user_models.plain_mlp, data=user_models.tabular(), metrics=["accuracy"],
                            objective="val_auc")
    exp = kerasreg.Experiment(model=user_models.plain_mlp, data=user_models.tabular(), logdir=str(tmp_path))
    with pytest.raises(ConfigError, match="brings its own data"):
        exp.train({"data.source": "synthetic"}, **QUIET)


def test_set_and_flags_are_validated_together():
    # The smoke preset trains 1 epoch: swa_epochs=2 is valid only with the --epochs flag applied.
    from kerasreg.recipes.cifar import EXPERIMENT

    config = EXPERIMENT.resolve(preset="smoke", overrides=["training.swa_epochs=2"], epochs=4, log=lambda *_: None)
    assert (config.training.epochs, config.training.swa_epochs) == (4, 2)
    with pytest.raises(ConfigError, match="training.swa_epochs"):
        EXPERIMENT.resolve(preset="smoke", overrides=["training.swa_epochs=2"], log=lambda *_: None)
