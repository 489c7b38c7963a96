"""Training-step cost of kerasreg's layers against the Keras layer they stand for.

Run from the repository root (by hand; this is not a test and CI never runs it)::

    python benchmarks/layers.py                    # full run, KERAS_BACKEND or tensorflow
    KERAS_BACKEND=jax python benchmarks/layers.py  # the same on JAX
    python benchmarks/layers.py --quick            # smoke check, well under 2 minutes
    python benchmarks/layers.py --only dropblock --rounds 7

What it measures: the wall-clock time of one ``model.fit`` training step
(forward, loss, backward, optimizer update) of a small CIFAR-sized CNN on
synthetic in-memory data. The baseline CNN has a Keras ``Dropout(0.3)`` in a
"slot" after ``Dense(128)``; each variant puts one kerasreg layer in that slot
(or in place of exactly the layer it stands for) and changes nothing else.
Every variant is reported as a ratio to its own baseline (Keras ``Dropout``
at the same position, or Keras ``BatchNormalization`` for the BN variant of
the CNN), because absolute times depend on the machine while ratios are what
the targets (<= 1.10x, MultiSampleDropout <= 1.25x) are about.

How: every model is built, compiled and warmed up first (tracing and
compilation are excluded). Then, in one process, the models are timed in
interleaved rounds -- each round times a fixed number of steps of every
model, in a rotated order -- and the median over rounds is kept per model,
so slow drift of the machine (other jobs, thermal, frequency) hits
baselines and variants alike instead of whichever model ran last.
"""

import argparse
import logging
import os
import platform
import shlex
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# Defaults must be set before Keras is imported: the backend is fixed at import.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Each model traces its own train function once; TensorFlow warns about
# "excessive retracing" after five of them, which is expected here.
logging.getLogger("tensorflow").setLevel(logging.ERROR)

# Run from a checkout without installing: the package lives one level up.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from kerasreg import layers as kr  # noqa: E402
from kerasreg.models import MultiSampleModel  # noqa: E402

TARGET = 1.10
MULTI_SAMPLE_TARGET = 1.25
NUM_CLASSES = 10
SEED = 0


# --------------------------------------------------------------------------
# The CNN and its slots
# --------------------------------------------------------------------------


@dataclass
class CNNSpec:
    """Which layer fills each replaceable position of the CNN.

    Every field is a zero-argument factory (a fresh layer per model), or
    ``None`` where the position is left empty. The defaults are the baseline:
    Conv 32-32, pool, Conv 64-64, pool, Conv 128, GAP, Dense 128, Dropout(0.3),
    Dense 10. With ``norm`` set (the BN CNN) every conv, the last included, is
    a plain linear Conv followed by ``norm`` and ReLU, and ``last_conv`` is
    not used.
    """

    last_conv: object = lambda: keras.layers.Conv2D(128, 3, padding="same", activation="relu")
    conv_slot: object = None  # after the last conv, on its feature map
    dense: object = lambda: keras.layers.Dense(128, activation="relu")
    slot: object = lambda: keras.layers.Dropout(0.3)  # the dropout slot
    head: object = lambda: keras.layers.Dense(NUM_CLASSES)  # logits
    norm: object = None  # BN variant: a normalization layer after every conv
    model_class: type = keras.Model


def conv_block(x, filters, spec, conv=None):
    """Conv (+ norm) + ReLU. With a norm layer the conv is linear and has no
    bias, the usual Conv-BN-ReLU order, so BN and Ghost BN see the same input."""
    if spec.norm is None:
        conv = conv or keras.layers.Conv2D(filters, 3, padding="same", activation="relu")
        return conv(x)
    conv = conv or keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)
    return keras.layers.ReLU()(spec.norm()(conv(x)))


def build_cnn(spec, image_size):
    """The CNN for ``spec`` on ``image_size`` x ``image_size`` x 3 inputs."""
    inputs = keras.Input((image_size, image_size, 3))
    x = conv_block(inputs, 32, spec)
    x = conv_block(x, 32, spec)
    x = keras.layers.MaxPooling2D()(x)
    x = conv_block(x, 64, spec)
    x = conv_block(x, 64, spec)
    x = keras.layers.MaxPooling2D()(x)
    x = conv_block(x, 128, spec, conv=spec.last_conv() if spec.norm is None else None)
    if spec.conv_slot is not None:
        x = spec.conv_slot()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    if spec.dense is not None:
        x = spec.dense()(x)
    if spec.slot is not None:
        x = spec.slot()(x)
    outputs = spec.head()(x)
    return spec.model_class(inputs, outputs)


# --------------------------------------------------------------------------
# The cases: baselines and the variants compared with them
# --------------------------------------------------------------------------


@dataclass
class Case:
    name: str  # shown in the "layer" column; --only matches it
    where: str
    spec: CNNSpec
    baseline: str = None  # name of the case it is compared with; None: it is a baseline
    target: float = TARGET
    times: list = field(default_factory=list)  # ms/step, one per round
    model: object = None


BASELINE = "keras Dropout(0.3)"
CONV_BASELINE = "keras Dropout(0.1) on conv map"
BN_BASELINE = "keras BatchNormalization"


def cases(image_size):
    """All cases, baselines first. Each variant changes one position only."""
    dense_slot = "dropout slot after Dense 128"
    side = image_size // 4  # two 2x2 poolings
    conv_map = f"after last Conv ({side}x{side}x128 map)"
    return [
        Case(BASELINE, f"{dense_slot} (baseline)", CNNSpec()),
        Case("MCDropout(0.3, mc=False)", dense_slot,
             CNNSpec(slot=lambda: kr.MCDropout(0.3, mc=False)), BASELINE),
        Case("AdaptiveDropout()", dense_slot,
             CNNSpec(slot=lambda: kr.AdaptiveDropout()), BASELINE),
        Case("ScheduledDropout(0.3, warmup_steps=100)", dense_slot,
             CNNSpec(slot=lambda: kr.ScheduledDropout(0.3, warmup_steps=100)), BASELINE),
        # Not on a residual branch here: only the layer's own cost is compared,
        # and the slot gives it the same input as Dropout.
        Case("StochasticDepth(0.3)", dense_slot,
             CNNSpec(slot=lambda: kr.StochasticDepth(0.3)), BASELINE),
        # Dropout at the same conv position is the fair baseline for DropBlock;
        # the dense-slot Dropout(0.3) stays in both.
        Case(CONV_BASELINE, f"{conv_map}; dense-slot Dropout kept (baseline)",
             CNNSpec(conv_slot=lambda: keras.layers.Dropout(0.1))),
        Case("DropBlock2D(0.1, block_size=3)",
             f"{conv_map}; vs keras Dropout(0.1) at the same position",
             CNNSpec(conv_slot=lambda: kr.DropBlock2D(0.1, block_size=3)), CONV_BASELINE),
        Case("DropConnectDense(128, rate=0.3, relu)", "replaces Dense 128 + Dropout",
             CNNSpec(dense=lambda: kr.DropConnectDense(128, rate=0.3, activation="relu"),
                     slot=None), BASELINE),
        # The slot keeps its Dropout in both models, so the only difference is
        # the conv itself: DropConnect replaces the conv, not the dropout.
        Case("DropConnectConv2D(128, 3, rate=0.3)", "replaces last Conv; Dropout kept in slot",
             CNNSpec(last_conv=lambda: kr.DropConnectConv2D(
                 128, 3, rate=0.3, padding="same", activation="relu")), BASELINE),
        # Baseline is the plain keras.Model: the variant's cost includes what
        # MultiSampleModel adds (repeating the targets to 8x the rows).
        Case("MultiSampleDropout(Dense(10), 8, 0.3)",
             "replaces Dropout + Dense 10; MultiSampleModel",
             CNNSpec(slot=None, model_class=MultiSampleModel,
                     head=lambda: kr.MultiSampleDropout(
                         keras.layers.Dense(NUM_CLASSES), num_samples=8, rate=0.3)),
             BASELINE, MULTI_SAMPLE_TARGET),
        Case("ConcreteDropout(Dense(10))", "replaces Dropout + Dense 10",
             CNNSpec(slot=None,
                     head=lambda: kr.ConcreteDropout(keras.layers.Dense(NUM_CLASSES))),
             BASELINE),
        Case(BN_BASELINE, "after every Conv, BN CNN (baseline)",
             CNNSpec(norm=lambda: keras.layers.BatchNormalization())),
        Case("GhostBatchNormalization(32)", "after every Conv, BN CNN",
             CNNSpec(norm=lambda: kr.GhostBatchNormalization(virtual_batch_size=32)),
             BN_BASELINE),
    ]


def select(all_cases, only):
    """The cases whose name contains one of ``only`` (case-insensitive), plus
    the baselines they need; all cases when ``only`` is empty."""
    if not only:
        return all_cases
    wanted = {c.name for c in all_cases if any(o.lower() in c.name.lower() for o in only)}
    wanted |= {c.baseline for c in all_cases if c.name in wanted and c.baseline}
    chosen = [c for c in all_cases if c.name in wanted]
    if not chosen:
        names = "\n  ".join(c.name for c in all_cases)
        sys.exit(f"--only {only} matches no case. Cases:\n  {names}")
    return chosen


# --------------------------------------------------------------------------
# Training and timing
# --------------------------------------------------------------------------


def synthetic_data(num_examples, image_size):
    """Fixed-seed random images and labels: the step cost does not depend on
    the values, and in-memory numpy keeps input loading out of the picture."""
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((num_examples, image_size, image_size, 3), dtype=np.float32)
    y = rng.integers(0, NUM_CLASSES, size=num_examples).astype(np.int32)
    return x, y


def compile_model(model):
    # No metrics: they would add the same work to every model except
    # MultiSampleModel (8x rows), blurring the layer cost being measured.
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


class StepTimer(keras.callbacks.Callback):
    """Wall time from the start of the first step to the end of the epoch.

    The end is taken at ``on_epoch_end``, which Keras calls after the last
    step's results are ready (JAX: after its state sync), so asynchronous
    dispatch cannot hide work; fit's set-up (data adapter, iterator) before
    the first step is left out.
    """

    def on_epoch_begin(self, epoch, logs=None):
        self.start = None

    def on_train_batch_begin(self, batch, logs=None):
        if self.start is None:
            self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start


def fit_steps(model, x, y, batch_size, steps):
    """Runs ``steps`` training steps with model.fit; returns seconds per step."""
    timer = StepTimer()
    model.fit(
        x, y, batch_size=batch_size, epochs=1, steps_per_epoch=steps,
        shuffle=False, verbose=0, callbacks=[timer],
    )
    return timer.seconds / steps


def benchmark(chosen, args, x, y):
    """Builds and warms up every model, then times them in interleaved rounds."""
    for case in chosen:
        case.model = compile_model(build_cnn(case.spec, args.image_size))
        started = time.perf_counter()
        # Warm-up: tracing/compilation and first-step allocations, not timed.
        fit_steps(case.model, x, y, args.batch_size, args.warmup)
        print(f"  built + warmed up {case.name} ({time.perf_counter() - started:.1f} s)",
              flush=True)
    for r in range(args.rounds):
        # Rotate the order each round so no model always runs first or last.
        shift = r % len(chosen)
        for case in chosen[shift:] + chosen[:shift]:
            case.times.append(1000.0 * fit_steps(case.model, x, y, args.batch_size, args.steps))
        print(f"  round {r + 1}/{args.rounds} done", flush=True)


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def backend_versions():
    versions = [f"Keras {keras.__version__}"]
    try:
        import tensorflow as tf

        versions.append(f"TensorFlow {tf.__version__}")
    except ImportError:
        pass
    if keras.backend.backend() == "jax":
        import jax

        versions.append(f"JAX {jax.__version__} (devices: {jax.devices()})")
    return ", ".join(versions)


def command_line():
    """The exact command, with the backend made explicit."""
    argv = [sys.executable, *sys.argv]
    return f"KERAS_BACKEND={keras.backend.backend()} " + " ".join(shlex.quote(a) for a in argv)


def print_header(args, jit_compile):
    print(f"Machine: nproc={len(os.sched_getaffinity(0))}, CPU: {cpu_model()}, "
          f"{platform.system()} {platform.release()}, Python {platform.python_version()}")
    print(f"Backend: {keras.backend.backend()} (jit_compile={jit_compile}); {backend_versions()}")
    print(f"Command: {command_line()}")
    print(f"Settings: image {args.image_size}x{args.image_size}x3, batch {args.batch_size}, "
          f"{args.warmup} warm-up steps, {args.steps} timed steps x {args.rounds} rounds "
          f"(median), SGD(momentum=0.9), sparse categorical crossentropy"
          + (" [--quick: smoke check, not a measurement]" if args.quick else ""))


def print_table(chosen):
    medians = {c.name: statistics.median(c.times) for c in chosen}
    print()
    print("| layer | where | ms/step | ratio | target | meets target |")
    print("|---|---|---:|---:|---:|:---:|")
    for case in chosen:
        ms = medians[case.name]
        if case.baseline is None:
            print(f"| {case.name} | {case.where} | {ms:.1f} | 1.00 (baseline) | — | — |")
            continue
        ratio = ms / medians[case.baseline]
        meets = "yes" if ratio <= case.target else "**no**"
        print(f"| {case.name} | {case.where} | {ms:.1f} | {ratio:.2f}x "
              f"| <= {case.target:.2f}x | {meets} |")
    # The round-to-round spread says how large a ratio difference is noise.
    print()
    print("Per-round ms/step (spread = (max - min) / median):")
    for case in chosen:
        rounds = ", ".join(f"{t:.1f}" for t in case.times)
        spread = (max(case.times) - min(case.times)) / medians[case.name]
        print(f"  {case.name}: {rounds}  (spread {spread:.0%})")


# --------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--steps", type=int, default=None,
                        help="timed training steps per model per round (default 20; quick 2)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="interleaved rounds; the median is reported (default 5; quick 2)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="batch size (default 128; quick 64)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="untimed steps per model before the rounds (default 3; quick 1)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes (16x16 images) for a smoke check; ratios are not meaningful")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="only cases whose name contains NAME (case-insensitive; "
                             "repeatable); their baselines are always included")
    args = parser.parse_args(argv)
    # --quick changes only the defaults, so explicit flags still win.
    defaults = dict(steps=2, rounds=2, batch_size=64, warmup=1) if args.quick else dict(
        steps=20, rounds=5, batch_size=128, warmup=3)
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    for name in ("steps", "rounds", "batch_size", "warmup"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    # 16x16 in quick mode still leaves a 4x4 last map, enough for 3x3 DropBlock.
    args.image_size = 16 if args.quick else 32
    return args


def main(argv=None):
    args = parse_args(argv)
    # Seeded once: re-seeding between models makes TensorFlow retrace the
    # already-warmed models' train functions on their next fit, which would
    # land in the first timed round.
    keras.utils.set_random_seed(SEED)
    chosen = select(cases(args.image_size), args.only)
    # One epoch of fit must hold every step, so the data has steps * batch rows.
    x, y = synthetic_data(max(args.steps, args.warmup) * args.batch_size, args.image_size)
    print(f"Benchmarking {len(chosen)} models on {keras.backend.backend()} ...", flush=True)
    benchmark(chosen, args, x, y)
    print()
    print_header(args, chosen[0].model.jit_compile)
    print_table(chosen)


if __name__ == "__main__":
    main()
