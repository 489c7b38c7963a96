"""Epoch time of a recipe run with its default TensorBoard logging against none.

Run from the repository root (by hand; CI never runs it)::

    python benchmarks/tensorboard_overhead.py --data ../shared/data/cifar10-jpeg.tar.gz
    python benchmarks/tensorboard_overhead.py --quick     # synthetic data, a smoke check

Both variants are `kerasreg.recipes.engine.train` on the cpu preset, the
same config except ``logging.tensorboard``: on, the run writes Keras's
per-epoch scalars, the learning rate of every step, the generalization gap
and HParams (the schedule image and HParams at the start, the confusion
matrix at the end are outside the epochs timed). Reported: median
steady-state epoch time (first epoch left out) over interleaved rounds and
the extra time with logging (target <= 2 %).
"""

import argparse
import shlex
import statistics
import sys
import tempfile

from epoch_timing import commit, interleaved, machine

from kerasreg.recipes import engine  # noqa: E402
from kerasreg.recipes.cifar import RECIPE  # noqa: E402
from kerasreg.recipes.cli import build_parser, resolve_config  # noqa: E402

TARGET = 0.02


def run(args, logdir, tensorboard):
    argv = ["train", "--preset", "cpu", "--data", args.data, "--epochs", str(args.epochs), "--logdir", logdir,
            "--set", f"data.train_subset={args.examples}", "--set", f"logging.tensorboard={str(tensorboard).lower()}"]  # fmt: skip
    config = resolve_config(RECIPE, build_parser(RECIPE).parse_args(argv), log=lambda *_: None)
    if config.data.source == "synthetic":
        config.data.synthetic_examples = args.examples

    def train(timer):
        engine.train(config, RECIPE, log=lambda *_: None, callbacks=[timer])

    return train


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="synthetic", help="--data of the recipe (default: synthetic)")
    parser.add_argument("--examples", type=int, default=12800, help="training examples used (data.train_subset)")
    parser.add_argument("--epochs", type=int, default=4, help="epochs per run (the first is left out)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="synthetic data, 2,560 examples, 3 epochs, 1 round")
    args = parser.parse_args(argv)
    if args.quick:
        args.data, args.examples, args.epochs, args.rounds = "synthetic", 2560, 3, 1
    with tempfile.TemporaryDirectory() as logdir:
        times = interleaved({"tensorboard": run(args, logdir, True), "none": run(args, logdir, False)}, args.rounds)
    with_logging = statistics.median(times["tensorboard"])
    without = statistics.median(times["none"])
    extra = with_logging / without - 1
    print()
    print(f"command: python {' '.join(shlex.quote(a) for a in sys.argv)}")
    print(f"machine: {machine()}; commit {commit()}")
    print(f"| logging | epoch time (median of {args.rounds}) | extra |")
    print("|---|---|---|")
    print(f"| none | {without:.2f} s | - |")
    print(f"| TensorBoard (default) | {with_logging:.2f} s | {100 * extra:+.1f} % (target <= {100 * TARGET:.0f} %) |")
    return 0 if extra <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
