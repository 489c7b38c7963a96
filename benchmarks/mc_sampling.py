"""What batched Monte Carlo sampling saves: `mc_predict` against S separate ``predict`` calls.

Run from the repository root (by hand; CI never runs it; ~2 minutes)::

    python benchmarks/mc_sampling.py
    python benchmarks/mc_sampling.py --examples 1000 --samples 30 --model airbench

The model is a recipe builder's (``--model``: the cpu preset's ``airbench``
by default, with dropout 0.1 in its blocks), untrained: the cost of a
forward pass does not depend on the weights. Three ways to draw
``--samples`` MC samples of ``--examples`` images, in one process,
interleaved over ``--rounds`` (median times):

- ``loop``: what users write by hand: ``enable_mc(model)`` once, then
  ``predict(x)`` S times (Keras's per-call setup each time);
- ``mc_predict``: kerasreg's, the S copies of each image stacked into the
  batch (passes of at most ``--batch-size`` rows);
- one plain ``predict(x)`` of the model without MC, for scale.

Reported: seconds per way, and the ratio loop / mc_predict.
"""

import argparse
import statistics
import sys
import time

from epoch_timing import commit, machine


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--model", default="airbench")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    import keras
    import numpy as np

    from kerasreg.architectures import Regularization, build_model
    from kerasreg.layers import enable_mc
    from kerasreg.uncertainty import mc_predict

    keras.config.set_dtype_policy("mixed_bfloat16")
    regularization = Regularization(dropout="dropout", dropout_rate=0.1, dropout_placement="blocks")
    model = build_model(args.model, input_shape=(32, 32, 3), num_classes=10, regularization=regularization, seed=0)
    x = np.random.default_rng(0).uniform(size=(args.examples, 32, 32, 3)).astype("float32")
    mc_model = enable_mc(model)

    def loop():
        return [mc_model.predict(x, batch_size=args.batch_size, verbose=0) for _ in range(args.samples)]

    ways = {
        "loop": loop,
        "mc_predict": lambda: mc_predict(model, x, num_samples=args.samples, batch_size=args.batch_size,
                                         from_logits=True),  # fmt: skip
        "plain predict (1 pass, no MC)": lambda: model.predict(x, batch_size=args.batch_size, verbose=0),
    }
    for way in ways.values():  # warm-up: tracing
        way()
    times = {name: [] for name in ways}
    for round_ in range(args.rounds):
        for name in list(ways)[round_ % len(ways):] + list(ways)[: round_ % len(ways)]:
            start = time.perf_counter()
            ways[name]()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"command: python {' '.join(sys.argv)}")
    print(f"machine: {machine()}; commit {commit()}")
    print(f"{args.samples} MC samples of {args.examples} images, model {args.model} (dropout 0.1 in the blocks), "
          f"bfloat16, batch {args.batch_size}, median of {args.rounds} rounds:")  # fmt: skip
    for name, seconds in medians.items():
        print(f"  {name:<32} {seconds:8.2f} s")
    print(f"loop / mc_predict: {medians['loop'] / medians['mc_predict']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
