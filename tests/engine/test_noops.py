"""Every silent no-op is an error before any run, with a message naming the key and the model."""

import os

import keras
import numpy as np
import pytest

from kerasreg import engine
from kerasreg.config import ConfigError
from kerasreg.experiment import Experiment
from tests.engine import user_models


def experiment(model, tmp_path, data=None, **kwargs):
    return Experiment(model=model, data=data or user_models.tabular(), logdir=str(tmp_path), name="quad", **kwargs)


def prepare(exp, values):
    return engine.prepare(exp.resolve(values, log=lambda *_: None), exp)


def test_comparing_batch_norm_on_a_model_without_it_is_an_error_naming_key_and_model(tmp_path):
    exp = experiment(user_models.plain_mlp, tmp_path)
    with pytest.raises(ConfigError, match=r"variant 'no-bn': plain_mlp\(\) ignores regularization.batch_norm "
                                          r"\(it takes no `regularization` argument\)"):
        exp.compare({"bn": {}, "no-bn": {"regularization.batch_norm": False}}, seeds=2, log=lambda *_: None)
    assert not os.path.exists(tmp_path / "quad")  # nothing half-written


def test_a_key_the_builder_takes_but_never_uses_is_found_by_its_effect(tmp_path):
    exp = experiment(user_models.dropout_mlp, tmp_path)
    with pytest.raises(ConfigError, match=r"dropout_mlp\(\) ignores regularization.batch_norm: "
                                          r"regularization.batch_norm=False builds the same model as True"):
        prepare(exp, {"regularization.batch_norm": False})
    prepare(exp, {"regularization.dropout_rate": 0.3})  # the key it reads is fine


def test_l2_weight_decay_on_a_model_without_kernel_regularizers_is_an_error(tmp_path):
    exp = experiment(user_models.dropout_mlp, tmp_path)
    with pytest.raises(ConfigError, match=r"ignores regularization.weight_decay_mode: "
                                          r"regularization.weight_decay_mode='l2' builds the same model as 'none'"):
        exp.compare({"none": {}, "l2": {"regularization.weight_decay_mode": "l2", "regularization.weight_decay": 1e-4}},
                    seeds=2, log=lambda *_: None)  # fmt: skip


def test_weight_decay_with_mode_none_is_an_error(tmp_path):
    exp = experiment(user_models.dropout_mlp, tmp_path)
    with pytest.raises(ConfigError, match=r"regularization.weight_decay=0.001 has no effect with "
                                          r"regularization.weight_decay_mode='none'"):
        prepare(exp, {"regularization.weight_decay_mode": "none", "regularization.weight_decay": 1e-3})


def test_spatial_dropout_in_blocks_of_a_head_only_model_is_an_error_not_head_dropout(tmp_path):
    exp = experiment(user_models.head_only_mlp, tmp_path)
    with pytest.raises(ConfigError, match=r"head_only_mlp\(\) ignores regularization.dropout: "
                                          r"regularization.dropout='spatial' builds the same model as 'none'"):
        prepare(exp, {"regularization.dropout": "spatial", "regularization.dropout_placement": "blocks",
                      "regularization.dropout_rate": 0.2})  # fmt: skip
    # At the head it does build a dropout layer.
    prepared = prepare(exp, {"regularization.dropout": "dropout", "regularization.dropout_rate": 0.2})
    assert any(isinstance(layer, keras.layers.Dropout) for layer in prepared.model.layers)


def test_two_variants_that_build_the_same_model_are_refused(tmp_path):
    def build(hidden=8, unused=1, *, input_shape):
        return user_models.plain_mlp(hidden, input_shape=input_shape)

    exp = experiment(build, tmp_path)
    with pytest.raises(ConfigError, match=r"build\(\) ignores model.unused"):
        exp.compare({"a": {}, "b": {"model.unused": 2}}, seeds=2, log=lambda *_: None)


def test_image_options_on_tabular_data_are_errors(tmp_path):
    exp = experiment(user_models.dropout_mlp, tmp_path)
    with pytest.raises(ConfigError, match=r"data.augment=\['flip'\] applies to uint8 images only; the data of "
                                          r"'quad' is float32 of shape \(6,\) per example"):
        prepare(exp, {"data.augment": ["flip"]})
    with pytest.raises(ConfigError, match="training.test_time_augmentation='flip' applies to uint8 images only"):
        prepare(exp, {"training.test_time_augmentation": "flip"})


def test_translate_pixels_is_checked_only_where_it_acts(tmp_path):
    exp = experiment(user_models.small_cnn, tmp_path, data=user_models.images())
    prepare(exp, {})  # 8x8 images, augment [] and the default 4 pixels: nothing to check
    with pytest.raises(ConfigError, match=r"data.translate_pixels=2 has no effect without 'translate' or 'crop'"):
        prepare(exp, {"data.translate_pixels": 2})
    with pytest.raises(ConfigError, match=r"translate_pixels.*an integer in \[0, 7\]"):
        prepare(exp, {"data.augment": ["translate"], "data.translate_pixels": 9})


def test_a_softmax_output_with_a_logits_loss_is_an_error(tmp_path):
    exp = experiment(user_models.softmax_mlp, tmp_path,
                     loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(ConfigError, match=r"softmax_mlp\(\) outputs probabilities \(a final softmax or sigmoid\) "
                                          r"but the loss has from_logits=True"):
        prepare(exp, {})
    # Named by string, the loss is built to fit: probabilities in, from_logits=False.
    prepared = prepare(experiment(user_models.softmax_mlp, tmp_path), {})
    assert prepared.outputs.logits is False and prepared.model.loss.get_config()["from_logits"] is False


def test_free_form_model_keys_are_the_builders_arguments(tmp_path):
    exp = experiment(user_models.dropout_mlp, tmp_path)
    assert exp.default_config().model == {"hidden": 8}
    assert prepare(exp, {"model.hidden": 5}).model.layers[1].units == 5
    with pytest.raises(ConfigError, match=r"unknown config key 'model.width'.*keys of \[model\]: hidden"):
        prepare(exp, {"model.width": 5})


def test_user_data_starts_from_plain_defaults_and_the_run_records_what_is_active(tmp_path):
    exp = experiment(user_models.dropout_mlp, tmp_path)
    config = exp.resolve(log=lambda *_: None)
    assert config.data.augment == [] and config.regularization.decoupled_weight_decay == 0.0
    assert config.training.label_smoothing == 0.0 and config.training.test_time_augmentation == "none"
    lines = []
    run = exp.train({"regularization.dropout_rate": 0.25}, seed=0, epochs=1, log=lines.append)
    assert run.results["regularizers"] == ["Dropout(0.25)"]
    assert "dropout_mlp(): active regularizers: Dropout(0.25)" in lines
    assert np.isfinite(run.test["accuracy"])


def test_a_value_shared_by_a_comparisons_variants_needs_to_act_in_one_of_them(tmp_path):
    exp = experiment(user_models.small_cnn, tmp_path, data=user_models.images())
    dataset = exp.load_data(exp.default_config())
    shared = {"regularization.dropout_placement": "blocks", "regularization.dropout_rate": 0.1}
    configs = {"none": exp.resolve(shared, log=lambda *_: None),
               "dropout": exp.resolve({**shared, "regularization.dropout": "dropout"}, log=lambda *_: None)}
    values = {"none": {}, "dropout": {"regularization.dropout": "dropout"}}
    engine.check_variant_noops(exp, configs, values, dataset)  # the placement acts in "dropout": fine

    mlp = experiment(user_models.dropout_mlp, tmp_path)
    shared = {"regularization.batch_norm": False}
    configs = {"a": mlp.resolve(shared, log=lambda *_: None),
               "b": mlp.resolve({**shared, "regularization.dropout_rate": 0.2}, log=lambda *_: None)}
    with pytest.raises(ConfigError, match=r"every variant: dropout_mlp\(\) ignores regularization.batch_norm"):
        engine.check_variant_noops(mlp, configs, {"a": {}, "b": {"regularization.dropout_rate": 0.2}},
                                   mlp.load_data(mlp.default_config()))  # fmt: skip


def test_tuning_a_key_the_model_ignores_is_refused_before_any_trial(tmp_path):
    exp = experiment(user_models.dropout_mlp, tmp_path)
    with pytest.raises(ConfigError, match=r"variant 'regularization.batch_norm=False': dropout_mlp\(\) ignores "
                                          r"regularization.batch_norm"):
        exp.tune({"regularization.batch_norm": [True, False]}, max_trials=2, log=lambda *_: None)
    assert not (tmp_path / "quad").exists()


def test_first_width_reaches_airbench_and_is_refused_where_it_does_nothing():
    from kerasreg.recipes.cifar import EXPERIMENT

    base = {"data.source": "synthetic", "data.synthetic_examples": 64, "training.batch_size": 16, "model.name": "airbench",
            "model.width": 4}

    def prepared(values):
        return engine.prepare(EXPERIMENT.resolve(overrides=[f"{k}={v}" for k, v in {**base, **values}.items()],
                                                 log=lambda *_: None), EXPERIMENT)  # fmt: skip

    model = prepared({"model.first_width": 2}).model
    assert [model.get_layer(f"block{b}_conv1").filters for b in (1, 2, 3)] == [2, 16, 16]
    with pytest.raises(ConfigError, match=r"ignores model.first_width: model.first_width=4 builds the same model as 0"):
        prepared({"model.first_width": 4})  # the width the first block has anyway
    with pytest.raises(ConfigError, match=r"Expected None for model 'cnn'.*Received: first_width=2"):
        prepared({"model.name": "cnn", "model.first_width": 2})
