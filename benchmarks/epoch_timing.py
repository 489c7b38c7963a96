"""Shared by the engine benchmarks: steady-state epoch times of recipe runs, in interleaved rounds.

`add_run_arguments` and `cpu_preset_config` give every benchmark the same
command line (``--data``, ``--examples``, ``--epochs``, ``--rounds``,
``--set``, ``--quick``) and the same cpu-preset config built through the
recipe's own CLI resolution; `train_with_timer` runs the engine on it.

`EpochTimer` records each epoch's wall time (``on_epoch_begin`` to
``on_epoch_end``, validation included); the first epoch of a fit (tracing,
pipeline warm-up) is left out of the steady state. `interleaved` runs every
variant once per round, rotating the order, so slow drift of the machine
hits all variants alike; ratios are taken between medians.
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

# Before Keras is imported: the backend is fixed at import.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402

from kerasreg.engine import hardware  # noqa: E402


class EpochTimer(keras.callbacks.Callback):
    """Wall time of each epoch of the fits it is given to."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)

    def steady(self):
        """Median epoch time without the first epoch (which traces and warms up)."""
        return statistics.median(self.seconds[1:] if len(self.seconds) > 1 else self.seconds)


def interleaved(variants, rounds, log=print):
    """``{name: [steady epoch seconds per round]}``; ``variants`` maps names to callables taking an `EpochTimer`."""
    names = list(variants)
    times = {name: [] for name in names}
    for round_index in range(rounds):
        order = names[round_index % len(names) :] + names[: round_index % len(names)]
        for name in order:
            timer = EpochTimer()
            variants[name](timer)
            times[name].append(timer.steady())
            log(f"round {round_index + 1}/{rounds} {name}: {times[name][-1]:.2f} s per epoch (epochs: "
                + ", ".join(f"{s:.2f}" for s in timer.seconds) + ")")  # fmt: skip
    return times


def machine():
    """One line: CPU model, cores, accelerators, library versions of the backend in use."""
    # Only the backend in use is imported: a JAX-only machine (such as a lent
    # GPU without TensorFlow) runs the backend-neutral benchmarks too.
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        gpus = [device.device_kind for device in jax.devices() if device.platform == "gpu"]
        library = f"JAX {jax.__version__}"
    else:
        import tensorflow as tf

        gpus = hardware.gpu_names()
        library = f"TensorFlow {tf.__version__}"
    return f"{hardware.describe_machine(hardware.machine(gpus=gpus))}, {library}, Keras {keras.__version__}"


def commit():
    """The checked-out commit, with "+ uncommitted changes" when tracked files differ from it."""
    def git(*arguments):
        return subprocess.run(["git", *arguments], capture_output=True, text=True, cwd=Path(__file__).parent)

    try:
        head = git("rev-parse", "--short", "HEAD")
        if head.returncode != 0:
            return "unknown"
        # A figure measured on edited code must not pass for the commit's.
        dirty = git("diff", "--quiet", "HEAD").returncode != 0
    except OSError:
        return "unknown"
    return head.stdout.strip() + (" + uncommitted changes" if dirty else "")


def add_run_arguments(parser):
    """The arguments every engine benchmark takes."""
    parser.add_argument("--data", default="synthetic", help="--data of the recipe (default: synthetic)")
    parser.add_argument("--examples", type=int, default=12800, help="training examples used (data.train_subset)")
    parser.add_argument("--epochs", type=int, default=4, help="epochs per run (the first is left out)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="passed to the recipe")
    parser.add_argument("--quick", action="store_true", help="synthetic data, 2,560 examples, 3 epochs, 1 round")
    return parser


def parse_run_arguments(parser, argv):
    args = add_run_arguments(parser).parse_args(argv)
    if args.quick:
        args.data, args.examples, args.epochs, args.rounds = "synthetic", 2560, 3, 1
    return args


def cpu_preset_config(args, logdir, *assignments):
    """The cpu preset (or ``args.preset``) resolved as ``python -m kerasreg.recipes.cifar`` would, on
    ``args.examples`` images."""
    from kerasreg.recipes.cifar import EXPERIMENT

    values = {"data.source": args.data, "logging.logdir": logdir, "data.train_subset": args.examples}
    config = EXPERIMENT.resolve(values, epochs=args.epochs, preset=getattr(args, "preset", "cpu"), overrides=[*assignments, *args.set],
                                log=lambda *_: None)
    if config.data.source == "synthetic":
        config.data.synthetic_examples = args.examples
    return config


def train_with_timer(config):
    """A variant for `interleaved`: `engine.train` on ``config``, timed by the given `EpochTimer`."""
    from kerasreg import engine
    from kerasreg.recipes.cifar import EXPERIMENT

    def run(timer):
        engine.train(config, EXPERIMENT, log=lambda *_: None, callbacks=[timer])

    return run
