"""Ablation of the cpu preset: accuracy at the same time budget with each trick switched off, one at a time.

Run from the repository root (by hand; CI never runs it; ~14 minutes per
trained row on a 2-core CPU, ~2.5 hours in all)::

    python benchmarks/ablation.py --data ../shared/data/cifar10-jpeg.tar.gz --seed 0
    python benchmarks/ablation.py --data ../shared/data/cifar10-jpeg.tar.gz --baseline logs-tta/cifar/seed0
    python benchmarks/ablation.py --data synthetic --epochs 2 --timing-examples 1024   # smoke

Every row is the real command (``python -m kerasreg.recipes.cifar --preset
cpu --data DATA --seed S``) with one trick's config switched back (the
``--set`` shown in the table), so each is a switch a user has too.

Same budget, not same epochs: a trick that makes training faster (bfloat16,
ReLU, the fast net's half resolution) is worth the extra epochs it buys.
For those rows the script first times a few steady epochs of the preset
and of the variant, interleaved in one process, on ``--timing-examples``
images, and gives the variant ``floor(preset epochs * preset epoch time /
variant epoch time)`` epochs, i.e. the same training time. Rows that do not
change the speed keep the preset's epochs.

Test-time augmentation changes no training: its rows re-evaluate the
baseline's own model with ``evaluate --test-time-augmentation flip`` (no
translated views) and ``none``, which is exactly what a run trained
without it would report.
"""

import argparse
import math
import re
import shlex
import statistics
import sys
import tempfile
import types
from pathlib import Path

from epoch_timing import commit, cpu_preset_config, interleaved, machine, train_with_timer
from preset_runs import evaluate_run, run_preset, warm_cache

# (row name, the config switched back, whether it changes the training speed)
TRICKS = [
    ("bfloat16 (float32 instead)", ["training.mixed_precision=none"], True),
    ("ReLU (GELU instead)", ["model.activation=gelu"], True),
    ("patch-whitening stem", ["model.whitening=false"], False),
    ("identity initialization", ["model.identity_init=false"], False),
    ("Lookahead", ["training.lookahead_steps=0"], False),
    ("64x batch-norm bias learning rate", ["optimizer.bias_learning_rate_multiplier=1.0"], False),
    ("airbench batch norm (learned scale, momentum 0.9 instead)",
     ["regularization.bn_scale=true", "regularization.bn_momentum=0.9"], False),
    ("label smoothing 0.2", ["training.label_smoothing=0.0"], False),
    ("alternating flip (random flip instead)", ['data.augment=["flip", "translate"]'], False),
    ("flip + translate augmentation", ["data.augment=[]"], False),
    ("full resolution (the fast net instead)", ["model.name=fast", "model.whitening=false"], True),
]
# Test-time augmentation changes no training: these rows re-evaluate the
# baseline's own model (row name, --test-time-augmentation value).
TEST_TIME_ROWS = [
    ("translate test-time augmentation (flip only)", "flip"),
    ("flip + translate test-time augmentation (none)", "none"),
]


def preset_epochs(data):
    from kerasreg.recipes.cifar import EXPERIMENT

    return EXPERIMENT.resolve({"data.source": data}, preset="cpu", log=lambda *_: None).training.epochs


def speed_ratio(args, assignments, logdir):
    """Preset epoch time / variant epoch time: medians of steady epochs, interleaved."""
    timing = types.SimpleNamespace(data=args.data, examples=args.timing_examples, epochs=3, set=[])
    variants = {
        "preset": train_with_timer(cpu_preset_config(timing, logdir)),
        "variant": train_with_timer(cpu_preset_config(timing, logdir, *assignments)),
    }
    times = interleaved(variants, rounds=1, log=lambda line: print("  timing " + line, flush=True))
    return statistics.median(times["preset"]) / statistics.median(times["variant"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="--data of the recipe")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, help="the preset's epochs (default: the preset's own)")
    parser.add_argument("--baseline", metavar="RUN_DIR", help="a finished run of the preset with this seed "
                        "(e.g. from time_to_accuracy.py --keep) instead of training one")  # fmt: skip
    parser.add_argument("--only", nargs="+", metavar="ROW", help="run only the rows whose name contains one of these")
    parser.add_argument("--timing-examples", type=int, default=10240)
    parser.add_argument("--keep", metavar="LOGDIR", help="keep the runs under LOGDIR (default: a temporary folder)")
    parser.add_argument("--output", help="also write the table (Markdown) here")
    args = parser.parse_args(argv)
    epochs = args.epochs or preset_epochs(args.data)
    tricks = [t for t in TRICKS if not args.only or any(word in t[0] for word in args.only)]

    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        logdir = Path(args.keep or scratch)
        warm_cache(args.data)
        if args.baseline:
            import json

            baseline_dir = Path(args.baseline)
            baseline = json.loads((baseline_dir / "results.json").read_text())
            wall = None
        else:
            wall, baseline = run_preset(args.data, args.seed, logdir, "all-on", epochs=epochs)
            baseline_dir = Path(baseline["run_dir"])
        if baseline["seed"] != args.seed:
            raise SystemExit(f"--baseline was trained with seed {baseline['seed']}, not --seed {args.seed}")
        rows.append(("none (the preset)", "", baseline["epochs_run"], wall, baseline["test"]["accuracy"]))
        print(f"preset: test accuracy {rows[-1][4]:.4f}", flush=True)

        for name, mode in TEST_TIME_ROWS:
            scores = evaluate_run(baseline_dir, "--test-time-augmentation", mode)
            rows.append((name, f"evaluate --test-time-augmentation {mode}", baseline["epochs_run"], None,
                         scores["accuracy"]))  # fmt: skip
        for name, assignments, changes_speed in tricks:
            variant_epochs = epochs
            if changes_speed:
                ratio = speed_ratio(args, assignments, str(logdir / "timing"))
                variant_epochs = max(1, math.floor(epochs * ratio))
                print(f"{name}: variant speed {ratio:.2f}x the preset's -> {variant_epochs} epochs", flush=True)
            # From the row's name: two rows may switch the same key (data.augment).
            run_name = "off-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
            wall, results = run_preset(args.data, args.seed, logdir, run_name, assignments, epochs=variant_epochs)
            rows.append((name, " ".join(f"--set {a}" for a in assignments), results["epochs_run"], wall,
                         results["test"]["accuracy"]))  # fmt: skip
            print(f"{name} off: test accuracy {rows[-1][4]:.4f} in {wall:.0f} s", flush=True)

    base = rows[0][4]
    lines = [
        f"command: python {' '.join(shlex.quote(a) for a in sys.argv)}",
        f"machine: {machine()}; commit {commit()}; seed {args.seed}",
        "",
        "| trick switched off | how | epochs | wall time | test accuracy | change |",
        "|---|---|---|---|---|---|",
    ]
    for name, how, run_epochs, wall, accuracy in rows:
        when = f"{wall:.0f} s ({wall / 60:.1f} min)" if wall is not None else "-"
        change = f"{100 * (accuracy - base):+.2f} pts" if name != rows[0][0] else ""
        lines.append(f"| {name} | {f'`{how}`' if how else ''} | {run_epochs} | {when} | {accuracy:.4f} | {change} |")
    text = "\n".join(lines)
    print("\n" + text)
    if args.output:
        Path(args.output).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
