import datetime
import json
import os

from kerasreg.config import ExperimentConfig, resolve
from kerasreg.engine.run_files import create_run_dir, run_tag, write_json_atomic


def test_runs_started_in_the_same_second_get_distinct_dirs(tmp_path):
    config = ExperimentConfig()
    now = datetime.datetime(2026, 1, 2, 3, 4, 5)
    first = create_run_dir(str(tmp_path), "cifar", config, now=now)
    second = create_run_dir(str(tmp_path), "cifar", config, now=now)
    assert first != second and os.path.isdir(first) and os.path.isdir(second)
    assert os.path.basename(first) == f"20260102-030405-{run_tag(config)}"
    assert os.path.basename(second) == os.path.basename(first) + "-2"


def test_tag_names_what_varies():
    config = resolve(ExperimentConfig(), overrides=["regularization.dropout=mc", "regularization.dropout_rate=0.2", "model.name=resnet"])
    assert run_tag(config) == "resnet-mc0.2-warmup_cosine"


def test_json_written_atomically(tmp_path):
    path = tmp_path / "results.json"
    write_json_atomic(str(path), {"a": 1})
    write_json_atomic(str(path), {"a": 2})
    assert json.loads(path.read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"], "no temporary files left"
