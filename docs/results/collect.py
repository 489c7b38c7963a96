"""Copies the evidence of finished comparison runs from ``logs/cifar/`` into ``docs/results/cifar/``, and back.

Small files only: each folder's ``compare.json`` (and a tuned comparison's
``tuning.json``) and each finished run's ``results.json`` and
``config.json``, final and tuning runs alike (no checkpoints, models or
TensorBoard events). The table files (``comparison.md/.csv/.json/.png``) of every
``docs/results/cifar/compare-*`` folder are then written anew from its runs
by the current code, as ``compare`` would write them, so they follow from
the runs even when a long comparison's process started on older code, or
the table's code changed since (with no ``logs/cifar/`` there is nothing to
copy, and only the tables are rewritten). Each file is written atomically,
as a later ``compare`` reads them back. Run from the repository root:

    python docs/results/collect.py

``--restore`` goes the other way: it copies the kept files of every
``docs/results/cifar/compare-*`` folder into ``logs/cifar/`` where they are
missing there, so that a comparison too long for one sitting on one machine goes
on elsewhere: ``compare`` reads the restored runs back as done and trains
only the others.

    python docs/results/collect.py --restore
    python -m kerasreg.recipes.cifar compare recipes/cifar-dropout-tuned.toml --data ...
"""

import argparse
import glob
import os

from kerasreg.atomic_files import atomic_write
from kerasreg.comparison import collect_runs, write_report
from kerasreg.comparison.dispatch import tuned_values
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


# A comparison folder's kept files: its records, and each finished run's (final runs, then tuning runs).
RECORDS = ("compare.json", "tuning.json")
RUNS = (os.path.join("*", "seed-*"), os.path.join("*", "tuning", "trial-*"))


def _copy_kept(folder, target, log, only_missing=False):
    """Copies ``folder``'s kept files to ``target`` (those already there are left alone if ``only_missing``)."""
    for name in RECORDS:
        source = os.path.join(folder, name)
        if os.path.exists(source) and not (only_missing and os.path.exists(os.path.join(target, name))):
            _copy(source, target)
    for pattern in RUNS:
        for results in sorted(glob.glob(os.path.join(folder, pattern, "results.json"))):
            run = os.path.dirname(results)
            out = os.path.join(target, os.path.relpath(run, folder))
            if only_missing and os.path.exists(os.path.join(out, "results.json")):
                continue
            # config.json first: a run folder with results.json is a finished run.
            for name in ("config.json", "results.json"):
                _copy(os.path.join(run, name), out)
            log("restored" if only_missing else "saved", out)


def restore(source_root="docs/results/cifar", target_root="logs/cifar", log=print):
    """Copies the kept runs back where ``compare`` looks for them, where missing there."""
    for folder in sorted(glob.glob(os.path.join(source_root, "compare-*"))):
        _copy_kept(folder, os.path.join(target_root, os.path.basename(folder)), log, only_missing=True)


def main(source_root="logs/cifar", target_root="docs/results/cifar", recipes="recipes", log=print):
    for folder in sorted(glob.glob(os.path.join(source_root, "compare-*"))):
        _copy_kept(folder, os.path.join(target_root, os.path.basename(folder)), log)
    for target in sorted(glob.glob(os.path.join(target_root, "compare-*"))):
        name = os.path.basename(target)
        found = find_comparison(recipes, name, "cifar-*.toml")
        if found is None:
            raise SystemExit(f"{name}: no comparison file in {recipes}/ has that name")
        _, spec = found
        runs = collect_runs(target, spec)
        tuned = tuned_values(target, spec, sorted({seed for seeds in runs.values() for seed in seeds}))
        write_report(target, spec, runs, _failed(os.path.join(source_root, name), target), tensorboard=False,
                     tuned=tuned)  # fmt: skip
        log("table", os.path.join(target, "comparison.md"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restore", action="store_true", help="copy the kept runs back into logs/cifar/")
    if parser.parse_args().restore:
        restore()
    else:
        main()
