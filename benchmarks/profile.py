"""Where a training step of a preset's model goes: forward + backward time of each layer.

Run from the repository root (by hand; CI never runs it; about a minute)::

    python benchmarks/profile.py
    python benchmarks/profile.py --preset cpu-10min
    python benchmarks/profile.py --set model.name=fast --set model.activation=gelu

The model is the cpu preset's, or ``--preset``'s (``--set`` changes it, as for the recipe),
built under the preset's precision policy. Each layer is timed alone: a
compiled function runs its forward pass in training mode on a random batch
of its input shape and the backward pass to its input and weights,
``--steps`` times after a warm-up; the median of ``--rounds`` is kept. The
whole train step (forward, loss, backward, optimizer update) is timed the
same way on the compiled model, so "everything else" (loss, optimizer
update, framework) is the step minus the layers' sum. Reported per layer:
milliseconds per batch, share of the step, multiply-adds and the GFLOP/s
reached (2 FLOPs per multiply-add, backward = 2x forward).
"""

import argparse
import math
import shlex
import statistics
import sys
import tempfile
import time
import types

from epoch_timing import commit, cpu_preset_config, machine


def _timed(function, steps, rounds):
    function()  # traces
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(steps):
            result = function()
        _ = [float(r.numpy().ravel()[0]) for r in result]  # waits for the last step
        times.append((time.perf_counter() - start) / steps)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="cpu", help="the recipe's preset whose model is profiled (default cpu)")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", help="passed to the recipe")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    import keras
    import tensorflow as tf

    from kerasreg import engine
    from kerasreg.recipes.cifar import EXPERIMENT

    with tempfile.TemporaryDirectory() as logdir:
        settings = types.SimpleNamespace(data="synthetic", examples=512, epochs=3, set=args.set, preset=args.preset)
        config = cpu_preset_config(settings, logdir)
        prepared = engine.prepare(config, EXPERIMENT)
    model, batch = prepared.model, config.training.batch_size
    x, y = next(iter(prepared.train))

    @tf.function
    def train_step():
        logs = model.train_step((x, y))
        return [logs["loss"]]

    step = _timed(train_step, args.steps, args.rounds)

    rows = []
    for layer in model.layers[1:]:
        shape = (batch,) + tuple(layer.input.shape[1:])
        inputs = tf.random.normal(shape)

        @tf.function
        def forward_backward(layer=layer, inputs=inputs):
            with tf.GradientTape() as tape:
                tape.watch(inputs)
                outputs = layer(inputs, training=True)
                loss = tf.reduce_sum(tf.cast(outputs, tf.float32))
            gradients = tape.gradient(loss, [inputs, *layer.trainable_variables])
            return [g for g in gradients if g is not None][:1] or [loss]

        seconds = _timed(forward_backward, args.steps, args.rounds)
        kernel = getattr(layer, "kernel", None)  # Conv2D / Dense: output positions x kernel size
        macs = math.prod(layer.output.shape[1:-1]) * math.prod(kernel.shape) if kernel is not None else 0
        rows.append((layer.name, type(layer).__name__, tuple(layer.output.shape[1:]), macs, seconds))

    total = sum(r[4] for r in rows)
    print(f"command: python {' '.join(shlex.quote(a) for a in sys.argv)}")
    print(f"machine: {machine()}; commit {commit()}")
    print(f"model {model.name}, batch {batch}, policy {keras.config.dtype_policy().name}; "
          f"train step {1000 * step:.1f} ms ({batch / step:.0f} images/s)\n")  # fmt: skip
    print("| layer | kind | output | multiply-adds | ms per batch | share of the step | GFLOP/s |")
    print("|---|---|---|---|---|---|---|")
    for name, kind, shape, macs, seconds in sorted(rows, key=lambda r: -r[4]):
        rate = f"{3 * 2 * macs * batch / seconds / 1e9:.0f}" if macs else ""
        print(f"| {name} | {kind} | {'x'.join(map(str, shape))} | {macs / 1e6:.1f}M | {1000 * seconds:.1f} | "
              f"{seconds / step:.0%} | {rate} |")  # fmt: skip
    print(f"| everything else (loss, optimizer update, framework) | | | | {1000 * (step - total):.1f} | "
          f"{(step - total) / step:.0%} | |")  # fmt: skip
    by_kind = {}
    for _, kind, _, _, seconds in rows:
        by_kind[kind] = by_kind.get(kind, 0.0) + seconds
    print("\nby kind: " + ", ".join(f"{kind} {s / step:.0%}" for kind, s in sorted(by_kind.items(), key=lambda kv: -kv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
