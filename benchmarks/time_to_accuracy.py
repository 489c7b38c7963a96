"""Time to accuracy of the CIFAR-10 presets: N seeds of the real command, end to end.

Run from the repository root (by hand; CI never runs it; 10 to 95 minutes per
seed on a 2-core CPU, by preset and machine)::

    python benchmarks/time_to_accuracy.py --data ../shared/data/cifar10-jpeg.tar.gz --presets cpu-10min cpu-30min --seeds 0 1 2
    python benchmarks/time_to_accuracy.py --data synthetic --seeds 0 --set training.epochs=1   # smoke

Each (preset, seed) runs ``python -m kerasreg.recipes.cifar --preset PRESET
--data DATA --seed S`` (plus any ``--set``) in a fresh process, timed from
launch to exit: wall time includes start-up, data loading (from the decode
cache after the first run, which this script warms first), training, the
test evaluation with its test-time augmentation, and writing the run. From
each run's ``results.json`` it reports test accuracy, the precision the run
trained in, training images/s and the fraction of the machine's fp32 peak
FLOP/s the training reached (the model's multiply-adds x 2 x 3 for forward
and backward, per training image; ``--peak-gflops`` is the peak: 192 for 2
cores doing two 8-wide fp32 FMAs a cycle at 3 GHz). Each preset is judged
against its budget: the minutes in its name (``cpu-10min``), else
``--budget-minutes``.
"""

import argparse
import os
import re
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
    data, epochs = results["config"]["data"], results["epochs_run"]
    small_epochs, size = min(data.get("progressive_epochs", 0), epochs), data.get("progressive_size", 0)
    if not small_epochs:
        return 2 * 3 * estimate_flops(model)  # multiply-adds -> FLOPs; forward + backward ~ 3 forwards
    # Progressive resizing: the model takes any size; its first epochs saw size x size images, the rest CIFAR's 32x32.
    channels = model.input_shape[-1]
    small, full = estimate_flops(model, (size, size, channels)), estimate_flops(model, (32, 32, channels))
    return 2 * 3 * (small_epochs * small + (epochs - small_epochs) * full) / epochs


def precision_of(results):
    """The precision policy the run trained in (``"auto"`` resolved): float32, mixed_bfloat16, ..."""
    policy = results["config"]["training"]["mixed_precision"]
    return "float32" if policy == "none" else policy


def budget_of(preset, default_minutes):
    """The minutes a preset named ``NAME-<N>min`` promises, else ``default_minutes``."""
    match = re.search(r"-(\d+)min$", preset)
    return float(match.group(1)) if match else default_minutes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="--data of the recipe")
    parser.add_argument("--presets", nargs="+", default=["cpu"], help="presets to run (default: cpu)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="passed to the recipe")
    parser.add_argument("--peak-gflops", type=float, default=192.0)
    parser.add_argument("--budget-minutes", type=float, default=15.0,
                        help="the budget of a preset whose name gives none (default 15)")  # fmt: skip
    parser.add_argument("--output", help="also write the table (Markdown) here")
    parser.add_argument("--keep", metavar="LOGDIR", help="keep the runs under LOGDIR/cifar/PRESET-seedS (default: a temporary folder)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        logdir = args.keep or scratch
        warm_cache(args.data)
        # Seed-major, so that a stopped invocation leaves every preset with the same seeds.
        for seed in args.seeds:
            for preset in args.presets:
                wall, results = run_preset(args.data, seed, logdir, f"{preset}-seed{seed}", args.set, preset=preset)
                flops = flops_per_training_image(results)
                ips = results["images_per_second"]
                rows.append({"preset": preset, "seed": seed, "wall": wall, "test": results["test"]["accuracy"],
                             "validation": results["validation"]["accuracy"], "ips": ips,
                             "peak": ips * flops / (args.peak_gflops * 1e9), "epochs": results["epochs_run"],
                             "precision": precision_of(results)})  # fmt: skip
                print(f"{preset} seed {seed}: {wall:.0f} s, test accuracy {rows[-1]['test']:.4f}", flush=True)

    lines = [
        f"command: python {' '.join(shlex.quote(a) for a in sys.argv)}",
        f"machine: {machine()}; commit {commit()}",
        "",
        f"| preset | seed | wall time | test accuracy | val accuracy | precision | train images/s "
        f"| FLOP/s vs the fp32 peak ({args.peak_gflops:g} GFLOP/s) | epochs |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for preset in args.presets:
        mine = [row for row in rows if row["preset"] == preset]
        lines += [f"| {r['preset']} | {r['seed']} | {r['wall']:.0f} s ({r['wall'] / 60:.1f} min) | {r['test']:.4f} "
                  f"| {r['validation']:.4f} | {r['precision']} | {r['ips']:.0f} | {r['peak']:.0%} | {r['epochs']} |"
                  for r in mine]  # fmt: skip
        accuracies = [r["test"] for r in mine]
        spread = f" ± {statistics.stdev(accuracies):.4f} (sd)" if len(mine) > 1 else ""
        lines.append(f"| {preset} | mean | {statistics.mean(r['wall'] for r in mine) / 60:.1f} min "
                     f"| {statistics.mean(accuracies):.4f}{spread} | | | | | |")  # fmt: skip
    lines.append("")
    for preset in args.presets:
        budget = budget_of(preset, args.budget_minutes)
        within = all(r["wall"] <= budget * 60 for r in rows if r["preset"] == preset)
        lines.append(f"{preset}: every run within {budget:g} min: {'yes' if within else 'no'}")
    text = "\n".join(lines)
    print("\n" + text)
    if args.output:
        Path(args.output).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
