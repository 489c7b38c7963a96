"""Training throughput of a CIFAR-10 preset by batch size, in interleaved rounds.

Run from the repository root (by hand; CI never runs it)::

    python benchmarks/batch_size.py --data ../shared/data/cifar10-jpeg.tar.gz --preset cpu-10min
    python benchmarks/batch_size.py --quick          # synthetic data, a smoke check

Each batch size trains the preset's net through `kerasreg.engine.train`
on the same ``--examples`` training images, validation included, with
only ``training.batch_size`` changed; every variant runs once per round,
the order rotating. Reported: median steady-state epoch time (first epoch
left out) and training images/s relative to the preset's own batch size.
A larger batch pays on a fixed wall-clock budget only if it trains
enough faster to make up for taking fewer optimizer steps per epoch.
"""

import argparse
import shlex
import statistics
import sys
import tempfile
from pathlib import Path

from epoch_timing import commit, cpu_preset_config, interleaved, machine, parse_run_arguments, train_with_timer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="cpu-10min", help="the cifar preset (default: cpu-10min)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[128, 256, 512])
    args = parse_run_arguments(parser, argv)
    if any(assignment.startswith("training.batch_size=") for assignment in args.set):
        parser.error("--set training.batch_size would override every variant; give --batch-sizes instead")
    with tempfile.TemporaryDirectory() as logdir:
        # The batch size the preset trains with as resolved (its defaults and --set included).
        shipped = cpu_preset_config(args, logdir).training.batch_size
        if shipped not in args.batch_sizes:
            parser.error(f"--batch-sizes must include the preset's own batch size {shipped}")
        variants = {
            size: train_with_timer(cpu_preset_config(args, str(Path(logdir) / str(size)), "logging.tensorboard=false",
                                                     f"training.batch_size={size}"))  # fmt: skip
            for size in args.batch_sizes
        }
        times = interleaved(variants, args.rounds)
    median = {size: statistics.median(seconds) for size, seconds in times.items()}
    print()
    print(f"command: python {' '.join(shlex.quote(a) for a in sys.argv)}")
    print(f"machine: {machine()}; commit {commit()}")
    print(f"| batch size | epoch time (median of {args.rounds}, {args.examples} images) | training images per epoch second "
          f"| throughput vs batch {shipped} |")  # fmt: skip
    print("|---|---|---|---|")
    for size in args.batch_sizes:
        print(f"| {size} | {median[size]:.2f} s | {args.examples / median[size]:.0f} | {median[shipped] / median[size]:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
