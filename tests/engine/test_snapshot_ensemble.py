"""training.snapshot_ensemble: cyclic-cosine snapshots scored alone and averaged; bad schedules rejected."""

import json
from pathlib import Path

import pytest

from kerasreg.config import ConfigError
from kerasreg import engine
from kerasreg.recipes.cifar import EXPERIMENT

SETS = ["data.synthetic_examples=256", "training.epochs=4", "training.snapshot_ensemble=3"]
# A [schedule] table in a file replaces the preset's whole table.
RESTARTS = '[schedule]\nname = "cosine_restarts"\nlearning_rate = 0.05\nfirst_decay_epochs = 1\nt_mul = 1.0\n'
WARMUP = '[schedule]\nname = "warmup_cosine"\nlearning_rate = 0.05\nwarmup_epochs = 1\n'


def config(*extra, schedule=RESTARTS, folder=None):
    import tempfile

    path = Path(folder or tempfile.mkdtemp()) / "schedule.toml"
    path.write_text(schedule)
    return EXPERIMENT.resolve(preset="smoke", config_file=str(path), overrides=[*SETS, *extra], log=lambda *_: None)


def test_the_snapshots_are_the_last_cycle_ends():
    assert engine.snapshot_epochs(config()) == [2, 3, 4]
    doubling = config("schedule.t_mul=2.0", "training.epochs=7", "training.snapshot_ensemble=2")
    assert engine.snapshot_epochs(doubling) == [3, 7]  # cycles of 1, 2, 4 epochs


def test_a_run_scores_each_snapshot_and_their_average(tmp_path):
    run_dir, results = engine.train(config(), EXPERIMENT, run_dir=str(tmp_path / "run"), log=lambda *_: None)
    snapshot = results["snapshot_ensemble"]
    assert snapshot["epochs"] == [2, 3, 4] and [m["epoch"] for m in snapshot["members"]] == [2, 3, 4]
    # The last snapshot is the final model: the same test scores as the run's own.
    assert snapshot["members"][-1]["accuracy"] == pytest.approx(results["test"]["accuracy"], abs=1e-6)
    assert snapshot["members"][-1]["nll"] == pytest.approx(results["test"]["nll"], rel=1e-5)
    # Averaging probabilities never hurts NLL or Brier against the members' mean (convexity).
    mean_nll = sum(m["nll"] for m in snapshot["members"]) / 3
    mean_brier = sum(m["brier"] for m in snapshot["members"]) / 3
    assert snapshot["ensemble"]["nll"] <= mean_nll + 1e-9 and snapshot["ensemble"]["brier"] <= mean_brier + 1e-9
    assert len({round(m["nll"], 6) for m in snapshot["members"]}) == 3  # three different models
    assert sorted(p.name for p in Path(run_dir, "resume").glob("snapshot-*.npz")) == [
        "snapshot-0002.npz", "snapshot-0003.npz", "snapshot-0004.npz"]
    assert json.loads(Path(run_dir, "results.json").read_text())["snapshot_ensemble"]["epochs"] == [2, 3, 4]


@pytest.mark.parametrize(
    "extra, schedule, message",
    [
        ([], WARMUP, "needs schedule.name='cosine_restarts'"),
        (["training.snapshot_ensemble=5"], RESTARTS, "cycles end only after epochs [1, 2, 3, 4] of 4"),
        (["schedule.first_decay_epochs=1.5"], RESTARTS, "a cosine_restarts cycle ends inside epoch 1.5"),
    ],
)
def test_bad_snapshot_settings_fail_before_the_run(extra, schedule, message, tmp_path):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        engine.train(config(*extra, schedule=schedule), EXPERIMENT, run_dir=str(tmp_path / "run"), log=lambda *_: None)
    assert not (tmp_path / "run").exists()


def test_the_cli_exits_2_with_one_line(tmp_path):
    from tests import cli_runner

    result = cli_runner.cifar("--preset", "smoke", "--set", "training.snapshot_ensemble=2", cwd=tmp_path)
    assert result.returncode == 2 and "needs schedule.name='cosine_restarts'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "logs").exists()
