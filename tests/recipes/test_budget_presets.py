"""The time-budgeted presets (``cpu-10min``, ``cpu-30min``): the cpu recipe on a narrower net, run as shipped."""

import json
import tomllib

import keras
import pytest

import kerasreg  # noqa: F401  (registers the classes the saved model names)
from kerasreg.recipes.cifar import EXPERIMENT
from tests import cli_runner

# name: (width, epochs, test-time views)
# name: (width, epochs, test-time views, (downscaled epochs, their side))
BUDGETED = {"cpu-10min": (24, 11, "flip", (6, 20)), "cpu-30min": (32, 13, "flip_translate", (0, 0))}


@pytest.mark.parametrize("name", sorted(BUDGETED))
def test_a_budgeted_preset_is_the_cpu_recipe_with_only_its_size_length_and_test_views_changed(name):
    width, epochs, views, progressive = BUDGETED[name]
    cpu, preset = EXPERIMENT.presets["cpu"], EXPERIMENT.presets[name]
    changed = {key for key in preset.keys() | cpu.keys() if preset.get(key) != cpu.get(key)}
    assert changed <= {"model.width", "training.epochs", "training.test_time_augmentation", "data.progressive_size",
                       "data.progressive_epochs"}  # fmt: skip
    assert {"model.width", "training.epochs"} <= changed
    # Every other trick of the cpu preset is there, and each stays a config key.
    config = EXPERIMENT.resolve(preset=name, log=lambda *_: None)
    assert (config.model.width, config.training.epochs, config.training.test_time_augmentation) == (width, epochs, views)
    assert (config.data.progressive_epochs, config.data.progressive_size) == progressive
    assert config.model.whitening and config.training.lookahead_steps == cpu["training.lookahead_steps"]
    switched = EXPERIMENT.resolve(preset=name, overrides=["model.whitening=false", "data.progressive_size=0",
                                                          "data.progressive_epochs=0"], log=lambda *_: None)  # fmt: skip
    assert not switched.model.whitening and not switched.data.progressive_epochs


def test_the_10_minute_preset_trains_its_narrow_net_through_the_cli(tmp_path):
    printed = cli_runner.cifar("--preset", "cpu-10min", "--print-config", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert tomllib.loads(printed.stdout)["training"]["epochs"] == 11

    arguments = ("--preset", "cpu-10min", "--data", "synthetic", "--batch-size", "16", "--set",
                 "data.synthetic_examples=64", "--set", "training.test_time_augmentation=none")  # fmt: skip
    # Fewer epochs than the preset's downscaled ones: an error that says what to change, nothing written.
    refused = cli_runner.cifar(*arguments, "--epochs", "2", cwd=tmp_path)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "data.progressive_epochs=6 must be less than training.epochs=2" in refused.stderr
    assert not (tmp_path / "logs").exists() or not list((tmp_path / "logs").rglob("*.json"))

    result = cli_runner.cifar(*arguments, "--epochs", "2", "--set", "data.progressive_epochs=1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = [path.parent for path in (tmp_path / "logs" / "cifar").glob("*/results.json")]
    model = keras.models.load_model(run_dir / "model.keras")
    filters = [model.get_layer(f"block{block}_conv1").filters for block in (1, 2, 3)]
    assert filters == [24, 96, 96]
    assert model.input_shape == (None, None, None, 3)  # built for any size: its first epoch saw 20x20 images
    config = json.loads((run_dir / "config.json").read_text())
    assert config["model"]["width"] == 24 and config["model"]["name"] == "airbench"
