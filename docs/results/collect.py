"""Copies the evidence of finished comparison runs from ``logs/cifar/`` into ``docs/results/cifar/``.

Small files only: each folder's ``compare.json`` and table files, and each
finished run's ``results.json`` and ``config.json`` (no checkpoints, models
or TensorBoard events). Each copy is atomic, as a later ``compare`` reads
them back. Run from the repository root:

    python docs/results/collect.py
"""

import glob
import os

from kerasreg.atomic_files import atomic_write
from kerasreg.comparison.runner import FILES


def _copy(source, folder):
    with open(source, "rb") as handle, atomic_write(os.path.join(folder, os.path.basename(source)), "wb", 0o644) as out:
        out.write(handle.read())


def main(source_root="logs/cifar", target_root="docs/results/cifar"):
    for folder in sorted(glob.glob(os.path.join(source_root, "compare-*"))):
        target = os.path.join(target_root, os.path.basename(folder))
        for name in ("compare.json", *FILES):
            if os.path.exists(os.path.join(folder, name)):
                _copy(os.path.join(folder, name), target)
        for results in sorted(glob.glob(os.path.join(folder, "*", "seed-*", "results.json"))):
            run = os.path.dirname(results)
            out = os.path.join(target, os.path.relpath(run, folder))
            for name in ("results.json", "config.json"):
                _copy(os.path.join(run, name), out)
            print("saved", out)


if __name__ == "__main__":
    main()
