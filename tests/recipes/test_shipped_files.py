"""Every shipped TOML in recipes/ runs, smoke-sized, and does what its header says.

Each file is resolved as shipped (its preset, sizes and values) to check
its header's claims, then run shrunk: synthetic data, a narrow net, one
seed. The commands in the headers parse, and their paths name real files.
"""

import dataclasses
import json
import os
import re
import shlex
from pathlib import Path

import pytest

from kerasreg.comparison import check_comparison, comparison_base, load_comparison, run_comparison, variant_config
from kerasreg.config import to_dict, with_values
from kerasreg.recipes.cifar import EXPERIMENT
from kerasreg.schedules import create_schedule, with_run_length
from tests import cli_runner

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ROOT / "recipes"
ARCHIVE = ROOT.parent / "shared" / "data" / "cifar10-jpeg.tar.gz"
PROG = "python -m kerasreg.recipes.cifar"
COMPARISONS = ["cifar-dropout-ablation", "cifar-dropout-tuned", "cifar-dropout-vs-none", "cifar-regularizers",
               "cifar-schedules"]  # fmt: skip
TABLES = ("optimizer", "schedule")
# Smoke size for running a shipped file: synthetic data, a narrow net, small batches.
SHRINK = {"data.source": "synthetic", "training.epochs": 3, "training.batch_size": 16}
SHRINK_SETS = ["data.synthetic_examples=32", "model.width=4"]


def quiet(*_):
    pass


def test_every_shipped_file_is_checked_here():
    assert sorted(p.stem for p in RECIPES.glob("*.toml")) == sorted(["cifar", "cifar-tune", *COMPARISONS])


# The headers' commands.


def header_commands(path):
    """The ``python -m kerasreg.recipes.cifar ...`` commands in a file's leading comments, as argument lists."""
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    text = "\n".join(lines).replace("\\\n", " ")
    commands = []
    for line in text.splitlines():
        if PROG in line:
            command = line[line.index(PROG) + len(PROG):].split("#")[0]
            commands.append(shlex.split(re.sub(r"\[([^\]]*)\]", r"\1", command)))  # [optional] parts included
    return commands


@pytest.mark.parametrize("stem", ["cifar", "cifar-tune", *COMPARISONS])
def test_the_headers_commands_parse_and_name_real_files(stem):
    from kerasreg.cli import COMMANDS, build_parser

    path = RECIPES / f"{stem}.toml"
    commands = header_commands(path)
    assert commands, f"{path.name} shows no command"
    parser = build_parser(EXPERIMENT, PROG)
    named_itself = False
    for argv in commands:
        args = parser.parse_args(argv if argv and argv[0] in COMMANDS else ["train", *argv])
        for value in (getattr(args, "file", None), getattr(args, "space", None), args.config):
            if value is not None:
                assert (ROOT / value).is_file(), f"{path.name}: {value} (from the repository's root)"
                named_itself |= (ROOT / value) == path
        if args.data not in (None, "synthetic", "cifar10"):
            # The offline copy, named from the repository's root.
            assert os.path.normpath(ROOT / args.data) == os.path.normpath(ARCHIVE), f"{path.name}: --data {args.data}"
            assert ARCHIVE.is_file() or not ARCHIVE.parent.is_dir()
    assert named_itself, f"no command in {path.name}'s header runs it"


# recipes/cifar.toml: the plain baseline.


def test_cifar_toml_is_the_plain_baseline_its_header_says():
    file_values = {"data.augment": ["flip", "translate"], "data.translate_pixels": 4, "model.name": "cnn",
                   "regularization.dropout": "dropout", "regularization.dropout_rate": 0.3,
                   "regularization.dropout_placement": "head", "regularization.batch_norm": True,
                   "regularization.weight_decay": 5e-4, "regularization.weight_decay_mode": "decoupled",
                   "optimizer.name": "sgd", "optimizer.momentum": 0.9, "optimizer.nesterov": True,
                   "schedule.name": "warmup_cosine", "schedule.learning_rate": 0.1, "schedule.warmup_epochs": 2,
                   "training.epochs": 30, "training.batch_size": 128}  # fmt: skip
    config = EXPERIMENT.resolve(config_file=str(RECIPES / "cifar.toml"), log=quiet)
    # The recipe's defaults with the file's values and nothing else: no preset underneath.
    expected = with_values(EXPERIMENT.default_config(), file_values)
    expected.schedule = with_run_length(expected.schedule, 30)
    assert to_dict(config) == to_dict(expected)
    assert config.schedule["decay_epochs"] == 28, "the cosine spans the rest of the run"
    assert not config.model.whitening and config.training.lookahead_steps == 0
    assert config.training.label_smoothing == 0 and config.training.test_time_augmentation == "none"


def test_cifar_toml_trains_smoke_sized(tmp_path):
    (argv,) = [c for c in header_commands(RECIPES / "cifar.toml") if "synthetic" in c]
    result = cli_runner.cifar(*[str(ROOT / a) if a.endswith(".toml") else a for a in argv], cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "preset: none (" in result.stdout
    (run_dir,) = (tmp_path / "logs" / "cifar").iterdir()
    config = json.loads((run_dir / "config.json").read_text())
    assert config["model"]["name"] == "cnn" and config["regularization"]["dropout_rate"] == 0.3
    assert config["optimizer"] == {"name": "sgd", "momentum": 0.9, "nesterov": True}
    assert config["schedule"]["name"] == "warmup_cosine" and config["training"]["epochs"] == 3
    assert json.loads((run_dir / "results.json").read_text())["epochs_run"] == 3


# recipes/cifar-tune.toml: a search whose trial 0 is the plain recipe.


def test_cifar_tune_toml_searches_and_its_first_trial_is_the_recipe(tmp_path):
    space = str(RECIPES / "cifar-tune.toml")
    sets = [a for s in SHRINK_SETS for a in ("--set", s)]
    result = cli_runner.cifar("tune", "--space", space, "--preset", "cpu", "--data", "synthetic", "--epochs", "1",
                              "--batch-size", "16", *sets, "--max-trials", "1", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads((tmp_path / "logs" / "cifar" / "tune-cifar-regularization" / "results.json").read_text())
    (trial,) = results["trials"]
    assert trial["status"] == "COMPLETED"
    base = EXPERIMENT.resolve(preset="cpu", log=quiet)
    for key, value in trial["hyperparameters"].items():  # no `default` among the active ones: the recipe's value
        section, name = key.split(".")
        assert value == to_dict(base)[section][name], key


# The comparison files.


def _flat(config):
    """``{"section.key": value}``, a table section (optimizer, schedule) as one value."""
    flat = {}
    for section, table in to_dict(config).items():
        if section in TABLES or not isinstance(table, dict):
            flat[section] = table
        else:
            flat.update({f"{section}.{key}": value for key, value in table.items()})
    return flat


def _as_compared(key):
    section = key.split(".")[0]
    return section if section in TABLES else key


def _check_variant_values(spec, base, configs):
    """Each variant resolves to what the file names, and differs from the baseline only in keys the file names."""
    baseline = spec.variant(spec.baseline)
    epochs = base.training.epochs
    for variant in spec.variants:
        config = configs[variant.name]
        flat = _flat(config)
        for key, value in {**spec.shared, **variant.values}.items():
            section, name = key.split(".")
            if (section, name) == ("schedule", "warmup_fraction"):
                assert config.schedule["warmup_epochs"] == pytest.approx(value * epochs), (variant.name, key)
            elif section in TABLES:
                assert flat[section][name] == value, (variant.name, key)
            elif key not in variant.values and key in baseline.values:
                continue
            else:
                assert flat[key] == value, (variant.name, key)
        differing = {k for k, v in flat.items() if v != _flat(configs[baseline.name])[k]} - {"training.seed"}
        named = {_as_compared(k) for k in (*variant.values, *baseline.values)}
        assert differing <= named, f"variant {variant.name!r} also changes {sorted(differing - named)}"


def _lr(schedule, epoch, steps_per_epoch=10):
    return float(create_schedule(schedule, steps_per_epoch)(round(epoch * steps_per_epoch)))


def _dropout_ablation(spec, configs):
    assert len(spec.variants) == 12 and spec.seeds == 3  # 36 runs
    preset = EXPERIMENT.presets["cpu"]
    for name, config in configs.items():
        assert config.regularization.dropout_placement == "blocks" and config.regularization.dropout_rate == 0.1
        if config.regularization.batch_norm:
            assert config.schedule["learning_rate"] == preset["schedule.learning_rate"] == 0.375, name
            assert config.schedule == configs[spec.baseline].schedule, name
        else:
            schedule = config.schedule
            assert schedule["name"] == "warmup_linear" and schedule["learning_rate"] == 0.022, name
            assert schedule["warmup_initial_learning_rate"] == pytest.approx(0.2 * 0.022), name
            assert schedule["end_learning_rate"] == pytest.approx(0.07 * 0.022), name
            assert schedule["warmup_epochs"] == pytest.approx(preset["schedule.warmup_fraction"] * 14), name
    assert {c.regularization.dropout for c in configs.values()} == {"none", "dropout", "spatial", "dropconnect",
                                                                     "dropblock", "mc"}  # fmt: skip


def _dropout_vs_none(spec, configs):
    assert len(spec.variants) * spec.seeds == 6
    assert configs["no-dropout"].regularization.dropout == "none"
    dropout = configs["dropout"].regularization
    assert (dropout.dropout, dropout.dropout_rate, dropout.dropout_placement) == ("dropout", 0.1, "blocks")


def _dropout_tuned(spec, configs):
    from kerasreg.comparison.dispatch import tuning_plan

    base = comparison_base(EXPERIMENT, spec, log=quiet)
    plan = tuning_plan(spec, base, "cifar-dropout-tuned")
    assert spec.seeds == 3 and {v: len(p) for v, p in plan.items()} == {"no-dropout": 3, "dropout": 3, "spatial": 3}
    decay = EXPERIMENT.presets["cpu"]["regularization.weight_decay"]
    assert [p["regularization.weight_decay"] for p in plan["no-dropout"]] == pytest.approx([decay / 2, decay, decay * 2])
    for name in ("dropout", "spatial"):
        assert [p["regularization.dropout_rate"] for p in plan[name]] == [0.05, 0.1, 0.2]
        regularization = configs[name].regularization
        assert (regularization.dropout, regularization.dropout_placement) == (name, "blocks")
        assert regularization.weight_decay == decay and configs[name].schedule == configs["no-dropout"].schedule
    assert configs["no-dropout"].regularization.dropout == "none"
    # The tuning seed is none of the final runs' seeds.
    assert spec.tune.seed_for(base.training.seed) not in range(base.training.seed, base.training.seed + spec.seeds)


def _regularizers(spec, configs):
    assert len(spec.variants) * spec.seeds == 18
    none = configs["none"]
    assert none.regularization.weight_decay == 0 and none.regularization.weight_decay_mode == "none"
    assert none.regularization.dropout == "none" and none.data.augment == []
    assert none.training.label_smoothing == 0 and none.training.early_stopping_patience == 0
    together = {}
    for variant in spec.variants:
        if variant.name not in ("none", "all"):
            together.update(variant.values)
    assert spec.variant("all").values == together, "'all' is every other variant's values together"


def _schedules(spec, configs):
    assert len(spec.variants) * spec.seeds == 24
    base = configs["constant"]
    assert (base.training.epochs, base.training.batch_size, base.optimizer["momentum"]) == (14, 256, 0.85)
    s = {name: config.schedule for name, config in configs.items()}
    assert _lr(s["constant"], 14) == pytest.approx(0.375)
    assert [_lr(s["step"], e) for e in (5.9, 6, 12)] == pytest.approx([0.375, 0.0375, 0.00375])
    assert _lr(s["exponential"], 14) == pytest.approx(0.375 * 0.01)
    for name in ("cosine", "warmup+cosine"):  # to 0 at the run's end
        assert _lr(s[name], 14) == pytest.approx(0.0, abs=1e-6) and _lr(s[name], 13.5) > 0, name
    assert _lr(s["warmup+cosine"], 0) == 0.0 and _lr(s["warmup+cosine"], 2) == pytest.approx(0.375)
    line = s["warmup+linear"]  # airbench94's triangle
    assert _lr(line, 0) == pytest.approx(0.075) and _lr(line, 0.23 * 14) == pytest.approx(0.375, rel=0.01)
    assert _lr(line, 14) == pytest.approx(0.02625)
    assert [_lr(s["cyclical"], e) for e in (0, 3.5, 7, 10.5, 14)] == pytest.approx([0.0375, 0.375] * 2 + [0.0375])
    # PyTorch's defaults: up from peak/25 over 30 % of the run, then down to peak/25e4.
    assert [_lr(s["one-cycle"], e) for e in (0, 0.3 * 14, 14)] == pytest.approx([0.375 / 25, 0.375, 0.375 / 25e4],
                                                                              rel=1e-3)  # fmt: skip


HEADER_CLAIMS = {"cifar-dropout-ablation": _dropout_ablation, "cifar-dropout-vs-none": _dropout_vs_none,
                 "cifar-dropout-tuned": _dropout_tuned,
                 "cifar-regularizers": _regularizers, "cifar-schedules": _schedules}  # fmt: skip
# The file and variant run end to end here, once (a run costs about 4 s of CPU; every variant of every file
# goes through compare's checks).
RUN = ("cifar-dropout-vs-none", "dropout")


@pytest.mark.parametrize("stem", COMPARISONS)
def test_a_comparison_file_does_what_its_header_says_and_runs(stem, tmp_path):
    path = str(RECIPES / f"{stem}.toml")
    spec = load_comparison(path)
    # As shipped: the file's preset and sizes.
    assert spec.preset == "cpu"
    base = comparison_base(EXPERIMENT, spec, origin=path, log=quiet)
    assert base.model.name == "airbench" and base.training.epochs == EXPERIMENT.presets["cpu"]["training.epochs"]
    configs = {v.name: variant_config(base, v, 0) for v in spec.variants}
    _check_variant_values(spec, base, configs)
    HEADER_CLAIMS[stem](spec, configs)
    # Smoke-sized: what compare checks before its first run (no variant a silent no-op or training the
    # same as another), and for one file a run and its table.
    small = comparison_base(EXPERIMENT, spec, flags={**SHRINK, "logging.logdir": str(tmp_path / "logs")},
                            overrides=SHRINK_SETS, origin=path, log=quiet)  # fmt: skip
    check_comparison(EXPERIMENT, {v.name: variant_config(small, v, 0) for v in spec.variants}, spec, log=quiet)
    if stem != RUN[0]:
        return
    variant = spec.variant(RUN[1])
    result = run_comparison(EXPERIMENT, small, dataclasses.replace(spec, seeds=1, variants=[variant],
                                                                   baseline=variant.name), log=quiet)  # fmt: skip
    assert not result.failed and [row["variant"] for row in result.report.rows] == [variant.name]
    recorded = json.loads((Path(result.folder) / variant.folder / "seed-0" / "config.json").read_text())
    assert recorded == json.loads(json.dumps(to_dict(variant_config(small, variant, 0))))
    assert recorded["regularization"]["dropout_placement"] == "blocks" and recorded["model"]["name"] == "airbench"
