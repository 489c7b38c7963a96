"""Copies the evidence of finished comparison runs from ``logs/cifar/`` into ``docs/results/cifar/``.

Small files only: each folder's ``compare.json`` and table files, and each
finished run's ``results.json`` and ``config.json`` (no checkpoints, models
or TensorBoard events). Run from the repository root:

    python docs/results/collect.py
"""

import glob
import os
import shutil

src_root, dst_root = "logs/cifar", "docs/results/cifar"
for folder in sorted(glob.glob(f"{src_root}/compare-*")):
    name = os.path.basename(folder)
    dst = os.path.join(dst_root, name)
    os.makedirs(dst, exist_ok=True)
    for f in ["compare.json", "comparison.json", "comparison.md", "comparison.csv", "comparison.png"]:
        if os.path.exists(os.path.join(folder, f)):
            shutil.copy2(os.path.join(folder, f), dst)
    for results in sorted(glob.glob(f"{folder}/*/seed-*/results.json")):
        run = os.path.dirname(results)
        out = os.path.join(dst, os.path.relpath(run, folder))
        os.makedirs(out, exist_ok=True)
        for f in ["results.json", "config.json"]:
            shutil.copy2(os.path.join(run, f), out)
        print("saved", out)
