"""One epoch on 5,000 real CIFAR-10 images (the JPEG copy in ../shared/data) beats chance clearly."""

import json
from pathlib import Path

import pytest

from tests.recipes.test_cli import run_cli, run_dirs

ARCHIVE = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cifar10-jpeg.tar.gz"


@pytest.mark.skipif(not ARCHIVE.exists(), reason=f"{ARCHIVE} is not here")
def test_one_epoch_on_5000_images_reaches_30_percent(tmp_path):
    (tmp_path / "short.toml").write_text(
        '[schedule]\nname = "one_cycle"\nmax_learning_rate = 0.2\ntotal_epochs = 1\npct_start = 0.25\n'
    )
    result = run_cli(
        "--preset", "cpu", "--data", str(ARCHIVE), "--config", "short.toml",
        "--set", "data.train_subset=5000", "--epochs", "1", "--batch-size", "64",
        # The cpu-10min net's width: a fifth of the cpu net's multiply-adds, and enough to show learning.
        "--set", "model.width=24",
        # The 6-view test-time augmentation would cost more than the epoch itself.
        "--set", "training.test_time_augmentation=none",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = run_dirs(tmp_path)
    results = json.loads((run_dir / "results.json").read_text())
    assert results["data"]["test"] == 10000 and results["data"]["train"] == 4500
    assert results["test"]["accuracy"] >= 0.30, results["test"]
