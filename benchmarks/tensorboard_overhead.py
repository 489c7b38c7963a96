"""Epoch time of a recipe run with its default TensorBoard logging against none.

Run from the repository root (by hand; CI never runs it)::

    python benchmarks/tensorboard_overhead.py --data ../shared/data/cifar10-jpeg.tar.gz
    python benchmarks/tensorboard_overhead.py --quick     # synthetic data, a smoke check

Both variants are `kerasreg.engine.train` on the cpu preset, the
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

from epoch_timing import commit, cpu_preset_config, interleaved, machine, parse_run_arguments, train_with_timer

TARGET = 0.02


def main(argv=None):
    args = parse_run_arguments(argparse.ArgumentParser(description=__doc__.splitlines()[0]), argv)
    with tempfile.TemporaryDirectory() as logdir:
        variants = {name: train_with_timer(cpu_preset_config(args, logdir, f"logging.tensorboard={name == 'tensorboard'}".lower()))
                    for name in ("tensorboard", "none")}  # fmt: skip
        times = interleaved(variants, args.rounds)
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
