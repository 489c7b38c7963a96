"""The time-budgeted presets (``cpu-10min``, ``cpu-30min``): the cpu recipe on a net and length for the machine."""

import json
import tomllib

import keras
import pytest

import kerasreg  # noqa: F401  (registers the classes the saved model names)
from kerasreg.engine import presets as presets_module
from kerasreg.recipes.cifar import EXPERIMENT
from tests import cli_runner

# (name, CPU flags): (width, epochs, test-time views, (downscaled epochs, their side)). A CPU with AMX trains
# the cpu preset's own net (width 0: airbench's own, 64) within each budget, part of its epochs downscaled.
BUDGETED = {
    ("cpu-10min", "no AMX"): (24, 11, "flip", (6, 20)),
    ("cpu-10min", "amx_bf16"): (0, 14, "flip_translate", (7, 20)),
    ("cpu-30min", "no AMX"): (32, 13, "flip_translate", (0, 0)),
    ("cpu-30min", "amx_bf16"): (0, 38, "flip_translate", (16, 20)),
}
FLAGS = {"no AMX": {"avx2", "fma", "avx512_bf16"}, "amx_bf16": {"avx2", "fma", "avx512_bf16", "amx_bf16"}}
CHANGEABLE = {"model.width", "training.epochs", "training.test_time_augmentation", "data.progressive_size",
              "data.progressive_epochs"}  # fmt: skip


@pytest.mark.parametrize("name, cpu", sorted(BUDGETED))
def test_a_budgeted_preset_is_the_cpu_recipe_with_only_its_size_length_and_test_views_changed(name, cpu, monkeypatch):
    monkeypatch.setattr(presets_module, "cpu_flags", lambda: FLAGS[cpu])
    width, epochs, views, progressive = BUDGETED[name, cpu]
    base = EXPERIMENT.presets["cpu"]
    preset = presets_module.preset_values(EXPERIMENT.presets, name)
    changed = {key for key in preset.keys() | base.keys() if preset.get(key) != base.get(key)}
    assert changed <= CHANGEABLE
    assert changed & {"model.width", "training.epochs", "data.progressive_epochs"}, "it costs less than the cpu preset"
    # Every other trick of the cpu preset is there, and each stays a config key.
    messages = []
    config = EXPERIMENT.resolve(preset=name, log=messages.append)
    assert (config.model.width, config.training.epochs, config.training.test_time_augmentation) == (width, epochs, views)
    assert (config.data.progressive_epochs, config.data.progressive_size) == progressive
    assert config.model.whitening and config.training.lookahead_steps == base["training.lookahead_steps"]
    said = "with amx_bf16" if cpu == "amx_bf16" else "without amx_bf16"
    assert any(m.startswith(f"preset {name}: its values for a CPU {said}") for m in messages), messages
    switched = EXPERIMENT.resolve(preset=name, overrides=["model.whitening=false", "data.progressive_size=0",
                                                          "data.progressive_epochs=0"], log=lambda *_: None)  # fmt: skip
    assert not switched.model.whitening and not switched.data.progressive_epochs


def test_the_10_minute_preset_trains_its_narrow_net_through_the_cli(tmp_path, monkeypatch):
    printed = cli_runner.cifar("--preset", "cpu-10min", "--print-config", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert tomllib.loads(printed.stdout)["training"]["epochs"] == 11
    # On a CPU with AMX the same command gets the wide net, and says so.
    with monkeypatch.context() as patch:
        patch.setattr(presets_module, "cpu_flags", lambda: FLAGS["amx_bf16"])
        amx = cli_runner.cifar("--preset", "cpu-10min", "--print-config", cwd=tmp_path)
    assert amx.returncode == 0, amx.stderr
    config = tomllib.loads(amx.stdout)
    assert (config["model"]["width"], config["training"]["epochs"], config["data"]["progressive_epochs"]) == (0, 14, 7)
    assert amx.stdout.startswith("# the resolved config of 'cifar'\n# preset cpu-10min: its values for a CPU with "
                                 "amx_bf16, as this one (change any with --set); run it with --config FILE\n")

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
