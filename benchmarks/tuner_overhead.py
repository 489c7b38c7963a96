"""Memory and time a KerasTuner search costs beyond its trials' own training.

Run from the repository root (by hand; CI never runs it; ~3 minutes)::

    python benchmarks/tuner_overhead.py
    python benchmarks/tuner_overhead.py --trials 40 --examples 512

A random search of ``--trials`` smoke-sized trials (the smoke preset:
synthetic data, a tiny net, one epoch) over dropout, DropBlock size
(conditional) and a log-uniform learning rate, in this process, through
`kerasreg.tuning.run_search` exactly as ``tune`` runs it. Reported:

- resident memory (VmRSS) after each trial, and its growth from the end of
  trial 1 to the end of the last (target <= 100 MB for 20 trials);
- per-trial overhead: the wall time between the end of one trial and the
  end of the next, minus that trial's ``model.fit`` time (recorded in its
  ``trial.json``) - model building, data pipeline, logging, KerasTuner's
  bookkeeping and checkpointing (target <= 2 s).
"""

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

from epoch_timing import commit, machine

SPACE = """
name = "overhead"
[hyperparameters."regularization.dropout"]
type = "choice"
values = ["none", "dropout", "dropblock"]
[hyperparameters."regularization.block_size"]
type = "int"
min = 3
max = 5
step = 2
default = 3
when = {"regularization.dropout" = ["dropblock"]}
[hyperparameters."schedule.learning_rate"]
type = "float"
min = 0.001
max = 0.1
sampling = "log"
default = 0.03
"""


def rss_mb():
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("VmRSS")) / 1024


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--examples", type=int, default=256, help="synthetic examples (data.synthetic_examples)")
    args = parser.parse_args(argv)

    from kerasreg.recipes.cifar import EXPERIMENT
    from kerasreg.tuning import load_space, run_search

    with tempfile.TemporaryDirectory() as root:
        space_path = Path(root) / "space.toml"
        space_path.write_text(SPACE)
        values = {"logging.logdir": root, "regularization.dropout_placement": "blocks",
                  "data.synthetic_examples": args.examples}
        config = EXPERIMENT.resolve(values, preset="smoke", derive_schedule=False, log=lambda *_: None)
        space = load_space(space_path, config)
        ends, memory = [], []

        def hook(trial):
            ends.append(time.perf_counter())
            memory.append(rss_mb())

        start = time.perf_counter()
        search_root, results = run_search(EXPERIMENT, config, space, kind="random", max_trials=args.trials,
                                          log=lambda *_: None, trial_end_hook=hook)  # fmt: skip
        total = time.perf_counter() - start
        fits = [json.loads((Path(search_root) / f"trial-{t['trial_id']}" / "trial.json").read_text())["seconds"]
                for t in results["trials"]]  # fmt: skip

    walls = [b - a for a, b in zip(ends, ends[1:])]
    overheads = [wall - fit for wall, fit in zip(walls, fits[1:])]
    growth = memory[-1] - memory[0]
    print(f"command: python {' '.join(shlex.quote(a) for a in sys.argv)}")
    print(f"machine: {machine()}; commit {commit()}")
    print(f"{len(results['trials'])} trials in {total:.1f} s; fit time per trial: median {statistics.median(fits):.2f} s")
    print(f"RSS after trial 1: {memory[0]:.0f} MB, after trial {len(memory)}: {memory[-1]:.0f} MB, "
          f"growth {growth:+.0f} MB (target <= 100 MB)")  # fmt: skip
    print(f"RSS by trial (MB): {', '.join(f'{m:.0f}' for m in memory)}")
    print(f"per-trial overhead beyond fit (trials 2..{len(walls) + 1}): median {statistics.median(overheads):.2f} s, "
          f"max {max(overheads):.2f} s (target <= 2 s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
