"""Comparison files: what they expand to, and bad ones rejected with one line and exit code 2."""

import pytest

from kerasreg.comparison import comparison_base, load_comparison, variant_config
from kerasreg.config import ConfigError
from kerasreg.recipes.cifar import EXPERIMENT
from tests.comparison.harness import comparison_root, run_compare, write_comparison


def base_config():
    return EXPERIMENT.resolve(preset="smoke", derive_schedule=False, log=lambda *_: None)


def test_a_grid_expands_to_every_combination_named_by_its_values(tmp_path):
    path = write_comparison(tmp_path, """
[grid]
"regularization.dropout" = ["none", "dropout"]
"regularization.batch_norm" = [true, false]
""")
    spec = load_comparison(path, base_config())
    assert [v.name for v in spec.variants] == [
        "dropout=none,batch_norm=true", "dropout=none,batch_norm=false",
        "dropout=dropout,batch_norm=true", "dropout=dropout,batch_norm=false",
    ]
    assert spec.variants[3].values == {"regularization.dropout": "dropout", "regularization.batch_norm": False}
    assert spec.seeds == 3 and spec.baseline == spec.variants[0].name and spec.name == "compare"
    assert spec.varied_keys() == ["regularization.dropout", "regularization.batch_norm"]


def test_the_shipped_comparison_files_are_valid(tmp_path):
    from pathlib import Path

    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2

    from kerasreg.comparison.runner import _write_experiment_hparams

    files = sorted((Path(__file__).resolve().parents[2] / "recipes").glob("cifar-*.toml"))
    files = [f for f in files if not f.name.endswith("-tune.toml")]
    assert len(files) >= 4
    for path in files:
        spec = load_comparison(path)
        base = comparison_base(EXPERIMENT, spec, origin=str(path), log=lambda *_: None)  # checks every variant
        assert spec.preset == "cpu" and spec.seeds >= 3 and len(spec.variants) >= 2, path
        configs = [variant_config(base, variant, 0) for variant in spec.variants]  # schedules and optimizers too
        # The folder's HParams experiment takes every varied value (data.augment is a list).
        folder = tmp_path / path.stem
        _write_experiment_hparams(str(folder), spec, configs)
        experiment = event_accumulator.EventAccumulator(str(folder))
        experiment.Reload()
        content = experiment.PluginTagToContent(metadata.PLUGIN_NAME)[metadata.EXPERIMENT_TAG]
        names = [h.name for h in plugin_data_pb2.HParamsPluginData.FromString(content).experiment.hparam_infos]
        assert names == ["variant", *spec.varied_keys(), "training.seed"], path


BAD = [
    ('seeds = 0\n[variants.a]\n"training.epochs" = 1\n', "seeds must be an integer >= 1; got 0"),
    ("[grid]\n", "[grid] is empty"),
    ('[grid]\n"regularization.dropout" = []\n', "must be a non-empty list"),
    ('[variants.a]\n"regularization.dropuot" = "none"\n', "unknown config key 'regularization.dropuot' in variant 'a'"),
    ('[variants.a]\n"training.epochs" = "ten"\n', "training.epochs expects an integer, got 'ten'"),
    ('[variants.a]\n"regularization.dropout" = "drop"\n', "Received: regularization.dropout='drop'"),
    ("name = \"x\"\n", "give either a [grid] or [variants.NAME] tables"),
    ('baseline = "b"\n[variants.a]\n"training.epochs" = 1\n', "baseline 'b' is not a variant"),
    ('sedes = 3\n[variants.a]\n"training.epochs" = 1\n', "unknown entry 'sedes'"),
    ('[variants.a]\n"schedule.name" = "cosine"\n"schedule.learnin_rate" = 0.1\n', "variant 'a'"),
]


@pytest.mark.parametrize("text, message", BAD)
def test_bad_files_raise_one_line(tmp_path, text, message):
    from kerasreg.comparison import variant_config

    path = write_comparison(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        spec = load_comparison(path, base_config())
        for variant in spec.variants:
            variant_config(base_config(), variant, 0)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("text, message", [BAD[0], BAD[1], BAD[3]])
def test_the_cli_exits_2_with_one_line_and_writes_nothing(tmp_path, text, message):
    path = write_comparison(tmp_path, text)
    result = run_compare(tmp_path, path, "--preset", "smoke")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr
    assert not comparison_root(tmp_path, "compare").exists()
