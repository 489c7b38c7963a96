"""Config resolution: TOML, --set and flags over defaults; every bad key or value is caught."""

import pytest

from kerasreg.config import ConfigError, ExperimentConfig, parse_assignment, read_toml, resolve, to_dict


def test_precedence_defaults_toml_set_flags(tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text('[training]\nepochs = 7\nbatch_size = 64\n[schedule]\nname = "constant"\nlearning_rate = 0.05\n')
    config = resolve(
        ExperimentConfig(),
        toml=read_toml(path),
        overrides=["training.batch_size=32", "regularization.dropout=mc", "regularization.dropout_rate=0.2"],
        flags={"training.seed": 3, "training.epochs": None},
    )
    assert (config.training.epochs, config.training.batch_size, config.training.seed) == (7, 32, 3)
    assert config.regularization.dropout == "mc" and config.regularization.dropout_rate == 0.2
    # A [schedule] table replaces the default one whole.
    assert config.schedule == {"name": "constant", "learning_rate": 0.05}
    assert to_dict(config)["training"]["epochs"] == 7


def test_set_naming_another_schedule_starts_the_table_afresh():
    base = resolve(ExperimentConfig(), overrides=[
        "schedule.name=warmup_linear", "schedule.learning_rate=0.4", "schedule.warmup_fraction=0.2"])
    # The learning rate may come before the name; the old schedule's warmup_fraction is dropped.
    config = resolve(base, overrides=["schedule.learning_rate=0.1", "schedule.name=cosine"])
    assert config.schedule == {"name": "cosine", "learning_rate": 0.1}
    # The same name keeps the table and changes only what is given.
    config = resolve(base, overrides=["schedule.name=warmup_linear", "schedule.learning_rate=0.1"])
    assert config.schedule == {"name": "warmup_linear", "learning_rate": 0.1, "warmup_fraction": 0.2}
    config = resolve(base, overrides=["optimizer.name=adamw"])
    assert config.optimizer == {"name": "adamw"} and config.schedule == base.schedule


@pytest.mark.parametrize(
    "text, expected",
    [
        ("training.epochs=3", ("training", "epochs", 3)),
        ("schedule.learning_rate=1e-3", ("schedule", "learning_rate", 1e-3)),
        ("data.augment=['flip']", ("data", "augment", ["flip"])),
        ("model.name=resnet", ("model", "name", "resnet")),
        ('model.name="resnet"', ("model", "name", "resnet")),
        ("logging.tensorboard=false", ("logging", "tensorboard", False)),
    ],
)
def test_parse_assignment(text, expected):
    assert parse_assignment(text) == expected


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["nosection.key=1"], "unknown config section 'nosection'"),
        (["training.epoch=3"], "unknown config key 'training.epoch'"),
        (["training.epochs=three"], "training.epochs expects an integer, got 'three'"),
        (["training.epochs=2.5"], "training.epochs expects an integer, got 2.5"),
        (["training.epochs=0"], "training.epochs=0"),
        (["training.batch_size=-4"], "training.batch_size=-4"),
        (["regularization.dropout_rate=1.0"], "1.0"),
        (["regularization.dropout=drop"], "'drop'"),
        (["model.name=vgg99"], "model.name='vgg99'"),
        (["model.first_width=-8"], "model.first_width=-8"),
        (["data.progressive_size=24"], "Expected 0 while data.progressive_epochs is 0"),
        (["data.progressive_epochs=2"], "Expected 0 while data.progressive_size is 0"),
        (["data.progressive_size=-24", "data.progressive_epochs=2"], "data.progressive_size=-24"),
        (["training.mixed_precision=fp8"], "'fp8'"),
        (["logging.tensorboard=3"], "logging.tensorboard expects true or false"),
        (["epochs=3"], "--set expects section.key=value"),
    ],
)
def test_bad_values_are_rejected(overrides, message):
    with pytest.raises(ConfigError) as error:
        resolve(ExperimentConfig(), overrides=overrides)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_bad_files(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        read_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[training\nepochs = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        read_toml(bad)
    flat = tmp_path / "flat.toml"
    flat.write_text("epochs = 3\n")
    with pytest.raises(ConfigError, match="must be a \\[section\\] table"):
        resolve(ExperimentConfig(), toml=read_toml(flat), toml_origin=str(flat))
