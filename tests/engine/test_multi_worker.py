"""Two worker processes on localhost train one run together (TF_CONFIG, MultiWorkerMirroredStrategy)."""

import json
import os
import socket
import subprocess
import sys

from tests.recipes.test_cli import run_cli, run_dirs

# For the two runs to be the same computation: batch norm off (each worker
# would normalize its half of the batch: Keras's BatchNormalization is not
# synchronized by default) and whole batches only (a partial last batch
# splits unevenly, and each worker's mean loss then weighs its share
# differently from one process's mean).
ARGS = ["--preset", "smoke", "--epochs", "2", "--set", "data.augment=['flip','translate']",
        "--set", "regularization.batch_norm=false", "--set", "data.synthetic_examples=320",
        "--set", "data.validation_size=64"]  # fmt: skip


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_train_the_run_one_process_would(tmp_path):
    workers = [f"localhost:{port}" for port in free_ports(2)]
    cluster_dir, single_dir = tmp_path / "cluster", tmp_path / "single"
    cluster_dir.mkdir(), single_dir.mkdir()
    processes = []
    for index in range(2):
        tf_config = json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_CONFIG": tf_config,
               "KERASREG_CACHE": str(tmp_path / f"cache{index}")}  # fmt: skip
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "kerasreg.recipes.cifar", *ARGS],
            cwd=cluster_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ))  # fmt: skip
    outputs = [process.communicate(timeout=600) for process in processes]
    for process, (stdout, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr[-3000:]
    assert "worker 1 of 2: worker 0 writes the run" in outputs[1][0]

    # Only the chief wrote a run, with TensorBoard events, checkpoint and results.
    (run_dir,) = run_dirs(cluster_dir)
    results = json.loads((run_dir / "results.json").read_text())
    assert results["workers"] == 2 and results["replicas_in_sync"] == 2 and results["epochs_run"] == 2
    assert list(run_dir.glob("train/events.out.tfevents.*")) and (run_dir / "resume" / "state.json").is_file()

    # The two workers split each global batch: the same steps as one process.
    single = run_cli(*ARGS, cwd=single_dir)
    assert single.returncode == 0, single.stderr[-3000:]
    expected = json.loads((run_dirs(single_dir)[0] / "results.json").read_text())
    for part in ("train", "validation", "test"):
        for name, value in expected[part].items():
            assert abs(results[part][name] - value) <= 1e-4 * max(1.0, abs(value)), (part, name, results[part], expected[part])
