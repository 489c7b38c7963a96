"""The cpu preset's training step time on JAX against TensorFlow, on this machine.

Run from the repository root (by hand; CI never runs it)::

    python benchmarks/backends.py --rounds 2
    python benchmarks/backends.py --rounds 1 --epochs 2 --examples 512   # a smoke check

The Keras backend is fixed per process when Keras is imported, so each run
is a child process (this file with ``--child BACKEND``, ``KERAS_BACKEND``
set) that trains the cpu preset through `kerasreg.engine.train` on
``--examples`` images and prints its steady-state epoch time (first epoch
left out, as in `epoch_timing.EpochTimer.steady`) as JSON. The parent
alternates the backends round by round, so slow drift of the machine hits
both, and prints a Markdown table: median steady epoch seconds, milliseconds
per step (epoch seconds / steps per epoch, validation included in the
epoch) and the ratio JAX / TensorFlow (above 1: JAX is slower).

Caveats: JAX compiles the train step on the first epoch, which is left out,
so the ratio is steady state only, not time to result. The input pipeline
is ``tf.data`` on both backends (on JAX its tensors are converted for each
batch), so the ratio is that of the whole engine, not of the compiled step
alone. The mixed-precision policy is the preset's ``"auto"`` on both. If a
backend fails (an engine part that exists on TensorFlow only, say), its
last error line stands in the table instead of a time, and the script still
exits 0.
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile

BACKENDS = ("tensorflow", "jax")


def arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="synthetic", help="--data of the recipe (default: synthetic)")
    parser.add_argument("--examples", type=int, default=2560, help="training examples used (data.train_subset)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run (the first is left out)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="passed to the recipe")
    parser.add_argument("--timeout", type=float, default=900, help="seconds one child may run")
    parser.add_argument("--child", choices=BACKENDS, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def child(args):
    """One training run on the backend this process was started with; prints one JSON line."""
    from epoch_timing import EpochTimer, commit, cpu_preset_config, machine, train_with_timer

    import keras

    assert keras.backend.backend() == args.child, (keras.backend.backend(), args.child)

    class StepCountingTimer(EpochTimer):
        def __init__(self):
            super().__init__()
            self.steps = []

        def on_epoch_begin(self, epoch, logs=None):
            self.steps.append(0)
            super().on_epoch_begin(epoch, logs)

        def on_train_batch_end(self, batch, logs=None):
            self.steps[-1] += 1

    timer = StepCountingTimer()
    with tempfile.TemporaryDirectory() as logdir:
        config = cpu_preset_config(args, logdir, "logging.tensorboard=false")
        train_with_timer(config)(timer)
    print(json.dumps({"backend": args.child, "steady": timer.steady(), "epochs": timer.seconds,
                      "steps": timer.steps[-1], "machine": machine(), "commit": commit()}))  # fmt: skip
    return 0


def run_child(backend, args):
    """The child's JSON result, or ``{"error": last error line}``."""
    command = [sys.executable, os.path.abspath(__file__), "--child", backend, "--data", args.data,
               "--examples", str(args.examples), "--epochs", str(args.epochs)]  # fmt: skip
    for assignment in args.set:
        command += ["--set", assignment]
    env = dict(os.environ, KERAS_BACKEND=backend)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {args.timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode == 0 and lines:
        return json.loads(lines[-1])
    errors = [line.strip() for line in (done.stderr + done.stdout).splitlines() if line.strip()]
    return {"error": errors[-1] if errors else f"exit status {done.returncode}"}


def main(argv=None):
    args = arguments(argv)
    if args.child:
        return child(args)
    results = {backend: [] for backend in BACKENDS}
    errors = {}
    for round_index in range(args.rounds):
        shift = round_index % len(BACKENDS)
        for backend in BACKENDS[shift:] + BACKENDS[:shift]:
            if backend in errors:
                continue
            result = run_child(backend, args)
            if "error" in result:
                errors[backend] = result["error"]
                print(f"round {round_index + 1}/{args.rounds} {backend}: failed: {result['error']}", flush=True)
                continue
            results[backend].append(result)
            print(f"round {round_index + 1}/{args.rounds} {backend}: {result['steady']:.2f} s per epoch "
                  f"({result['steps']} steps; epochs: " + ", ".join(f"{s:.2f}" for s in result["epochs"]) + ")",
                  flush=True)  # fmt: skip

    seconds = {b: statistics.median(r["steady"] for r in results[b]) for b in BACKENDS if b not in errors}
    print()
    print(f"command: python {' '.join(shlex.quote(a) for a in sys.argv)}")
    for backend in BACKENDS:
        if results[backend]:
            print(f"machine ({backend}): {results[backend][0]['machine']}; commit {results[backend][0]['commit']}")
    print(f"| backend | epoch time (median of {args.rounds}) | ms per step | JAX / TensorFlow |")
    print("|---|---|---|---|")
    for backend in BACKENDS:
        if backend in errors:
            print(f"| {backend} | failed: {errors[backend].replace('|', '/')} | | |")
            continue
        steps = results[backend][0]["steps"]
        ratio = f"{seconds['jax'] / seconds['tensorflow']:.2f}" if backend == "jax" and "tensorflow" in seconds else ""
        print(f"| {backend} | {seconds[backend]:.2f} s | {1000 * seconds[backend] / steps:.0f} | {ratio} |")
    if errors:
        print(f"\nfailed: {', '.join(errors)} (no ratio where a backend failed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
