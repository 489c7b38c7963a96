"""KerasTuner's own chief/worker mode through the CLI: a chief and two workers on localhost."""

import socket
import subprocess

from tests.tuning.harness import environment, results, search_root, tune_command, write_space


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_chief_and_two_workers_complete_a_search_together(tmp_path):
    space = write_space(tmp_path)
    oracle = f"127.0.0.1:{_free_port()}"
    common = ["--space", space, "--tuner", "random", "--max-trials", "4", "--oracle", oracle]
    env = environment(tmp_path)
    chief = subprocess.Popen(tune_command(*common, "--distributed", "chief"), cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    workers = [
        subprocess.Popen(tune_command(*common, "--distributed", "worker", "--tuner-id", f"worker{i}"), cwd=tmp_path,
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        for i in range(2)
    ]
    outputs = [w.communicate(timeout=600) for w in workers]
    chief_out, chief_err = chief.communicate(timeout=300)
    for worker, (out, err) in zip(workers, outputs):
        assert worker.returncode == 0, err[-3000:]
        assert "this worker is done" in out
    assert chief.returncode == 0, chief_err[-3000:]

    found = results(tmp_path)
    assert len(found["trials"]) == 4 and all(t["status"] == "COMPLETED" for t in found["trials"])
    # Both workers ran trials (each prints one line per trial it ran).
    ran = [sum(line.startswith("trial ") for line in out.splitlines()) for out, _ in outputs]
    assert sum(ran) == 4 and all(n >= 1 for n in ran), ran
    assert found["best"]["test"]["accuracy"] >= 0.0
    assert f"best trial {found['best']['trial_id']}" in chief_out
    assert sorted(p.name for p in search_root(tmp_path).glob("trial-*")) == [f"trial-{i}" for i in range(4)]
