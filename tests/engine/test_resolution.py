"""`resolve_config`: which preset a run starts from, and data paths recorded absolute."""

import os

import pytest

from kerasreg.config import ConfigError, to_dict, with_values
from kerasreg.engine import default_preset, resolve_config
from kerasreg.recipes.cifar import EXPERIMENT


def quiet(*_):
    pass


def _file(tmp_path, text, name="experiment.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


FILE = '[training]\nbatch_size = 64\n[regularization]\ndropout = "dropout"\n'


def test_a_file_without_a_preset_starts_from_the_experiments_defaults(tmp_path):
    messages = []
    config = resolve_config(EXPERIMENT, config_file=_file(tmp_path, FILE), log=messages.append)
    expected = with_values(EXPERIMENT.default_config(), {"training.batch_size": 64, "regularization.dropout": "dropout"})
    assert to_dict(config) == {**to_dict(expected), "schedule": {**expected.schedule, "decay_epochs": 28}}
    assert config.model.name == "cnn" and not config.model.whitening and config.training.lookahead_steps == 0
    assert any(m.startswith("preset: none (") and "--preset" in m for m in messages), messages


def test_a_files_preset_goes_under_it_and_the_preset_argument_wins(tmp_path):
    path = _file(tmp_path, f'preset = "cpu"\n{FILE}')
    messages = []
    config = resolve_config(EXPERIMENT, config_file=path, log=messages.append)
    cpu = EXPERIMENT.presets["cpu"]
    assert config.model.name == "airbench" and config.training.epochs == cpu["training.epochs"]
    assert config.training.batch_size == 64 and config.regularization.dropout == "dropout", "the file goes on top"
    assert f"preset: cpu (named by {path}; --preset wins)" in messages

    messages.clear()
    smoke = resolve_config(EXPERIMENT, preset="smoke", config_file=path, log=messages.append)
    assert smoke.model.name == "cnn" and smoke.data.source == "synthetic" and smoke.training.batch_size == 64
    assert f"preset: smoke (given; it wins over the preset 'cpu' of {path})" in messages


def test_without_a_file_the_machines_preset_is_chosen():
    config = resolve_config(EXPERIMENT, log=quiet)
    chosen = default_preset(EXPERIMENT, log=quiet)
    assert chosen in ("cpu", "gpu")
    assert config.model.name == EXPERIMENT.presets[chosen]["model.name"] == "airbench"
    assert config.training.epochs == EXPERIMENT.presets[chosen]["training.epochs"]


@pytest.mark.parametrize(
    "line, message",
    [
        ('preset = "fast"', "unknown preset 'fast' of 'cifar' in {path}; presets: cpu, cpu-10min, cpu-30min, gpu, smoke"),
        ("preset = 3", "preset in {path} must be a preset name (a string); got 3"),
    ],
)
def test_a_bad_preset_in_a_file_is_one_line_naming_it(tmp_path, line, message):
    path = _file(tmp_path, f"{line}\n{FILE}")
    with pytest.raises(ConfigError) as error:
        resolve_config(EXPERIMENT, config_file=path, log=quiet)
    assert str(error.value) == message.format(path=path)


def test_a_local_data_path_is_recorded_absolute_and_names_stay(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "set.npz").write_bytes(b"")
    (tmp_path / "synthetic").mkdir()  # a folder named like a source name: the name wins, as when loading
    monkeypatch.chdir(tmp_path / "data")
    config = resolve_config(EXPERIMENT, preset="smoke", flags={"data.source": "../data/set.npz"}, log=quiet)
    assert os.path.isabs(config.data.source)
    assert os.path.samefile(config.data.source, tmp_path / "data" / "set.npz")
    monkeypatch.chdir(tmp_path)
    assert os.path.samefile(config.data.source, "data/set.npz"), "the recorded path works from another folder"
    for source in ("synthetic", "cifar10", "missing/set.npz"):
        assert resolve_config(EXPERIMENT, preset="smoke", flags={"data.source": source}, log=quiet).data.source == source
