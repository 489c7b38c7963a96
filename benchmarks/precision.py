"""Training throughput of the cpu preset by precision policy and activation.

Run from the repository root (by hand; CI never runs it)::

    python benchmarks/precision.py --data ../shared/data/cifar10-jpeg.tar.gz
    python benchmarks/precision.py --quick

Each variant is `kerasreg.recipes.engine.train` on the cpu preset with only
``training.mixed_precision`` and ``model.activation`` changed (every pair of
``--policies`` and ``--activations``). Reported: median steady-state epoch
time (first epoch left out) over interleaved rounds, and the speed-up over
the first pair. GELU is the costly part under bfloat16 on CPU: oneDNN runs
the convolutions on AMX, while the activation is elementwise work that
bfloat16 does not speed up. Whether accuracy holds is a full run's question:
``benchmarks/time_to_accuracy.py --set training.mixed_precision=mixed_bfloat16``.
On CPUs with AMX (Sapphire Rapids and later) oneDNN runs bfloat16
convolutions on the AMX tiles.
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


def run(args, logdir, policy, activation):
    argv = ["train", "--preset", "cpu", "--data", args.data, "--epochs", str(args.epochs), "--logdir", logdir,
            "--set", f"data.train_subset={args.examples}", "--mixed-precision", policy,
            "--set", f"model.activation={activation}"]  # fmt: skip
    for assignment in args.set:
        argv += ["--set", assignment]
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
    parser.add_argument("--policies", nargs="+", default=["none", "mixed_bfloat16"])
    parser.add_argument("--activations", nargs="+", default=["gelu", "relu"])
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="passed to the recipe")
    parser.add_argument("--quick", action="store_true", help="synthetic data, 2,560 examples, 3 epochs, 1 round")
    args = parser.parse_args(argv)
    if args.quick:
        args.data, args.examples, args.epochs, args.rounds = "synthetic", 2560, 3, 1
    with tempfile.TemporaryDirectory() as logdir:
        variants = {f"{policy} {activation}": run(args, logdir, policy, activation)
                    for policy in args.policies for activation in args.activations}  # fmt: skip
        times = interleaved(variants, args.rounds)
    medians = {name: statistics.median(t) for name, t in times.items()}
    first = next(iter(medians))
    base = medians[first]
    print()
    print(f"command: python {' '.join(shlex.quote(a) for a in sys.argv)}")
    print(f"machine: {machine()}; commit {commit()}")
    print(f"| mixed precision, activation | epoch time (median of {args.rounds}) | speed-up vs {first} |")
    print("|---|---|---|")
    for name, seconds in medians.items():
        print(f"| {name} | {seconds:.2f} s | {base / seconds:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
