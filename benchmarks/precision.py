"""Training throughput of the cpu preset by precision policy and activation.

Run from the repository root (by hand; CI never runs it)::

    python benchmarks/precision.py --data ../shared/data/cifar10-jpeg.tar.gz
    python benchmarks/precision.py --quick

Each variant is `kerasreg.engine.train` on the cpu preset with only
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

from epoch_timing import commit, cpu_preset_config, interleaved, machine, parse_run_arguments, train_with_timer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", nargs="+", default=["none", "mixed_bfloat16"])
    parser.add_argument("--activations", nargs="+", default=["gelu", "relu"])
    args = parse_run_arguments(parser, argv)
    with tempfile.TemporaryDirectory() as logdir:
        variants = {
            f"{policy} {activation}": train_with_timer(cpu_preset_config(
                args, logdir, f"training.mixed_precision={policy}", f"model.activation={activation}"))
            for policy in args.policies for activation in args.activations
        }  # fmt: skip
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
