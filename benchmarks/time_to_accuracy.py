"""Time to accuracy of the cpu preset: N seeds of the real command, end to end.

Run from the repository root (by hand; CI never runs it; ~15 minutes per seed
on a 2-core CPU)::

    python benchmarks/time_to_accuracy.py --data ../shared/data/cifar10-jpeg.tar.gz --seeds 0 1 2
    python benchmarks/time_to_accuracy.py --data synthetic --seeds 0 --set training.epochs=1   # smoke

Each seed runs ``python -m kerasreg.recipes.cifar --preset cpu --data DATA
--seed S`` (plus any ``--set``) in a fresh process, timed from launch to
exit: wall time includes start-up, data loading (from the decode cache after
the first run, which this script warms first), training, the test
evaluation and writing the run. From each run's ``results.json`` it reports
test accuracy, training images/s and the fraction of the machine's peak
FLOP/s the training reached (the model's multiply-adds x 2 x 3 for forward
and backward, per training image; ``--peak-gflops`` is the machine's peak,
192 for 2 AVX-512 cores in fp32 as measured for the speed issue).
"""

import argparse
import os
import shlex
import statistics
import sys
import tempfile
from pathlib import Path

from epoch_timing import commit, machine
from preset_runs import run_preset, warm_cache


def flops_per_training_image(results):
    import keras

    import kerasreg  # noqa: F401 - registers the layers for loading
    from kerasreg.architectures import estimate_flops

    model = keras.models.load_model(Path(results["run_dir"]) / "model.keras")
    return 2 * 3 * estimate_flops(model)  # multiply-adds -> FLOPs; forward + backward ~ 3 forwards


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="--data of the recipe")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="passed to the recipe")
    parser.add_argument("--peak-gflops", type=float, default=192.0)
    parser.add_argument("--budget-minutes", type=float, default=15.0)
    parser.add_argument("--output", help="also write the table (Markdown) here")
    parser.add_argument("--keep", metavar="LOGDIR", help="keep the runs under LOGDIR/cifar/seedS (default: a temporary folder)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        logdir = args.keep or scratch
        warm_cache(args.data)
        for seed in args.seeds:
            wall, results = run_preset(args.data, seed, logdir, f"seed{seed}", args.set)
            flops = flops_per_training_image(results)
            ips = results["images_per_second"]
            rows.append((seed, wall, results["test"]["accuracy"], results["validation"]["accuracy"], ips,
                         ips * flops / (args.peak_gflops * 1e9), results["epochs_run"]))  # fmt: skip
            print(f"seed {seed}: {wall:.0f} s, test accuracy {rows[-1][2]:.4f}", flush=True)

    lines = [
        f"command: python {' '.join(shlex.quote(a) for a in sys.argv)}",
        f"machine: {machine()}; commit {commit()}",
        "",
        "| seed | wall time | test accuracy | val accuracy | train images/s | FLOP/s as a fraction of the fp32 peak | epochs |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [f"| {s} | {w:.0f} s ({w / 60:.1f} min) | {a:.4f} | {v:.4f} | {i:.0f} | {f:.0%} | {e} |" for s, w, a, v, i, f, e in rows]
    accuracies = [r[2] for r in rows]
    spread = f" ± {statistics.stdev(accuracies):.4f} (sd)" if len(rows) > 1 else ""
    lines.append(f"| mean | {statistics.mean(r[1] for r in rows) / 60:.1f} min | {statistics.mean(accuracies):.4f}{spread} | | | | |")
    within = all(r[1] <= args.budget_minutes * 60 for r in rows)
    lines.append(f"\nall runs within {args.budget_minutes:g} min: {'yes' if within else 'no'}")
    text = "\n".join(lines)
    print("\n" + text)
    if args.output:
        Path(args.output).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
