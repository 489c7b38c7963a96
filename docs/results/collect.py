"""Copies the evidence of finished comparison runs from ``logs/cifar/`` into ``docs/results/cifar/``.

Small files only: each folder's ``compare.json`` and each finished run's
``results.json`` and ``config.json`` (no checkpoints, models or TensorBoard
events). The table files (``comparison.md/.csv/.json/.png``) of every
``docs/results/cifar/compare-*`` folder are then written anew from its runs
by the current code, as ``compare`` would write them, so they follow from
the runs even when a long comparison's process started on older code, or
the table's code changed since (with no ``logs/cifar/`` there is nothing to
copy, and only the tables are rewritten). Each file is written atomically,
as a later ``compare`` reads them back. Run from the repository root:

    python docs/results/collect.py
"""

import glob
import os

from kerasreg.atomic_files import atomic_write
from kerasreg.comparison import collect_runs, write_report
from kerasreg.comparison.spec import find_comparison
from kerasreg.engine.run_files import read_json


def _copy(source, folder):
    with open(source, "rb") as handle, atomic_write(os.path.join(folder, os.path.basename(source)), "wb", 0o644) as out:
        out.write(handle.read())


def _failed(*folders):
    """The failed runs recorded by the first of ``folders`` with a ``comparison.json``."""
    for folder in folders:
        table = read_json(os.path.join(folder, "comparison.json"))
        if table is not None:
            return table.get("failed", [])
    return []


def main(source_root="logs/cifar", target_root="docs/results/cifar"):
    for folder in sorted(glob.glob(os.path.join(source_root, "compare-*"))):
        target = os.path.join(target_root, os.path.basename(folder))
        if os.path.exists(os.path.join(folder, "compare.json")):
            _copy(os.path.join(folder, "compare.json"), target)
        for results in sorted(glob.glob(os.path.join(folder, "*", "seed-*", "results.json"))):
            run = os.path.dirname(results)
            out = os.path.join(target, os.path.relpath(run, folder))
            for name in ("results.json", "config.json"):
                _copy(os.path.join(run, name), out)
            print("saved", out)
    for target in sorted(glob.glob(os.path.join(target_root, "compare-*"))):
        name = os.path.basename(target)
        found = find_comparison("recipes", name, "cifar-*.toml")
        if found is None:
            raise SystemExit(f"{name}: no comparison file in recipes/ has that name")
        _, spec = found
        runs = collect_runs(target, spec)
        write_report(target, spec, runs, _failed(os.path.join(source_root, name), target), tensorboard=False)
        print("table", os.path.join(target, "comparison.md"))


if __name__ == "__main__":
    main()
