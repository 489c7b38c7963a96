"""`Regularization`: defaults, validation in the project's error style, TOML-style loading."""

import dataclasses

import pytest

from kerasreg.architectures import DROPOUTS, Regularization
from kerasreg.architectures.regularization import as_regularization, kernel_regularizer


def test_defaults_are_a_plain_model_with_decoupled_decay():
    config = Regularization()
    assert config.to_dict() == {
        "dropout": "none",
        "dropout_rate": 0.5,
        "dropout_placement": "head",
        "block_size": 3,
        "multisample_count": 8,
        "scheduled_warmup_steps": 1000,
        "batch_norm": True,
        "bn_position": "before_activation",
        "ghost_batch_size": 0,
        "bn_momentum": 0.9,
        "bn_scale": True,
        "stochastic_depth": 0.0,
        "weight_decay": 5e-4,
        "weight_decay_mode": "decoupled",
    }
    assert not config.in_head and not config.in_blocks
    assert kernel_regularizer(config) is None
    assert config.decoupled_weight_decay == 5e-4


def test_fields_are_toml_types():
    for field in dataclasses.fields(Regularization):
        assert field.type in ("str", "int", "float", "bool", str, int, float, bool), field


def test_from_dict_round_trip_and_int_values_from_toml():
    config = Regularization.from_dict({"dropout": "mc", "dropout_rate": 0, "weight_decay": 0})
    assert config.dropout_rate == 0.0 and isinstance(config.dropout_rate, float)
    assert isinstance(config.weight_decay, float)
    assert Regularization.from_dict(config.to_dict()) == config


def test_from_dict_rejects_unknown_fields():
    with pytest.raises(ValueError, match=r"Unknown field\(s\) in the regularization section: 'dropuot'"):
        Regularization.from_dict({"dropuot": "mc"})


def test_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Regularization().dropout = "mc"
    assert dataclasses.replace(Regularization(), dropout="mc").dropout == "mc"


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("dropout", "drop", "Expected one of 'none', 'dropout', 'spatial'"),
        ("dropout_rate", 1.0, "Expected a float in [0, 1)"),
        ("dropout_rate", -0.1, "Expected a float in [0, 1)"),
        ("dropout_rate", "0.5", "Expected a float in [0, 1)"),
        ("dropout_placement", "tail", "Expected one of 'head', 'blocks', 'both'"),
        ("block_size", 0, "Expected an integer >= 1"),
        ("block_size", 3.0, "Expected an integer >= 1"),
        ("multisample_count", 0, "Expected an integer >= 1"),
        ("scheduled_warmup_steps", -5, "Expected an integer >= 1"),
        ("batch_norm", 1, "Expected True or False"),
        ("bn_position", "after", "Expected one of 'before_activation', 'after_activation'"),
        ("ghost_batch_size", -1, "Expected an integer >= 0"),
        ("ghost_batch_size", True, "Expected an integer >= 0"),
        ("bn_momentum", 1.0, "Expected a float in [0, 1)"),
        ("bn_momentum", -0.1, "Expected a float in [0, 1)"),
        ("bn_scale", "no", "Expected True or False"),
        ("stochastic_depth", 1.0, "Expected a float in [0, 1)"),
        ("weight_decay", -1e-4, "Expected a float >= 0"),
        ("weight_decay", float("inf"), "Expected a finite float"),
        ("weight_decay_mode", "coupled", "Expected one of 'decoupled', 'l2', 'none'"),
    ],
)
def test_invalid_field_names_field_and_value(field, value, expected):
    with pytest.raises(ValueError) as info:
        Regularization(**{field: value})
    message = str(info.value)
    assert message.startswith(f"Invalid value received for argument `regularization.{field}`.")
    assert expected in message
    assert message.endswith(f"Received: regularization.{field}={value!r}")


@pytest.mark.parametrize(
    "dropout, placement",
    [
        ("spatial", "head"),
        ("spatial", "both"),
        ("dropblock", "head"),
        ("dropblock", "both"),
        ("multisample", "blocks"),
        ("multisample", "both"),
        ("concrete", "blocks"),
        ("concrete", "both"),
    ],
)
def test_variant_at_a_placement_where_it_makes_no_sense(dropout, placement):
    with pytest.raises(ValueError) as info:
        Regularization(dropout=dropout, dropout_placement=placement)
    message = str(info.value)
    assert "`regularization.dropout_placement`" in message
    assert f"dropout={dropout!r}" in message
    assert f"Received: regularization.dropout_placement={placement!r}" in message


@pytest.mark.parametrize("dropout", ["adaptive", "concrete"])
def test_rate_zero_is_refused_where_the_layer_cannot_express_it(dropout):
    with pytest.raises(ValueError, match=rf"a float in \(0, 1\) with dropout='{dropout}'. Received: regularization.dropout_rate=0.0"):
        Regularization(dropout=dropout, dropout_rate=0.0)


def test_ghost_batch_norm_needs_batch_norm():
    with pytest.raises(ValueError, match="Received: regularization.ghost_batch_size=16"):
        Regularization(batch_norm=False, ghost_batch_size=16)


def test_every_variant_has_a_valid_placement():
    for dropout in DROPOUTS:
        assert any(
            _valid(dropout=dropout, dropout_placement=placement)
            for placement in ("head", "blocks", "both")
        ), dropout


def _valid(**fields):
    try:
        Regularization(**fields)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("mode, optimizer_decay, has_regularizer", [("decoupled", 5e-4, False), ("l2", 0.0, True), ("none", 0.0, False)])
def test_weight_decay_modes(mode, optimizer_decay, has_regularizer):
    config = Regularization(weight_decay_mode=mode)
    assert config.decoupled_weight_decay == optimizer_decay
    assert (kernel_regularizer(config) is not None) == has_regularizer
    if has_regularizer:  # Keras's L2 takes weight_decay / 2 (see l2_regularizer)
        assert kernel_regularizer(config).l2 == pytest.approx(2.5e-4)


def test_as_regularization():
    assert as_regularization(None) == Regularization()
    assert as_regularization({"dropout": "mc"}) == Regularization(dropout="mc")
    with pytest.raises(ValueError, match="Received: regularization='mc'"):
        as_regularization("mc")
