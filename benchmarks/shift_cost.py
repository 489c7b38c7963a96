"""What ``evaluate --shift`` costs: making and scoring each corruption, against one test-set evaluation.

Run from the repository root (by hand; CI never runs it)::

    python benchmarks/shift_cost.py RUN_DIR
    python benchmarks/shift_cost.py RUN_DIR --examples 2000 --corruptions gaussian_noise,jpeg_compression

RUN_DIR is a finished run of the cifar recipe (its model and data: the
recorded ``data.source`` must be readable, or pass ``--data``). In one
process, the run's deterministic predictor (with its test-time
augmentation) first predicts the whole test set (``--rounds`` times, the
median is the unit); then, for each corruption, the five severities of
``--examples`` test images each (default: a fifth of the test set, as
``evaluate --shift`` does) are made and predicted. Reported per
corruption: seconds making the images, seconds predicting them, and their
sum in test-set evaluations. The issue's budget is about 3 test-set
evaluations per corruption.
"""

import argparse
import statistics
import sys
import time

from epoch_timing import commit, machine


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("--examples", type=int, default=None, help="test images per severity (default: a fifth)")
    parser.add_argument("--corruptions", default=None, help="comma-separated (default: all)")
    parser.add_argument("--rounds", type=int, default=3, help="test-set evaluations timed (median)")
    parser.add_argument("--data", default=None, help="a data source replacing the recorded one")
    args = parser.parse_args(argv)

    import keras
    import numpy as np

    from kerasreg.engine.preparation import prepare
    from kerasreg.engine.robustness import model_predictor, severity_subsets
    from kerasreg.experiment import config_of_run
    from kerasreg.layers.mc_mode import sampling_off
    from kerasreg.recipes.cifar import EXPERIMENT
    from kerasreg.uncertainty.corruptions import CORRUPTIONS, SEVERITIES, corrupt

    config = config_of_run(args.run_dir)
    if args.data:
        from kerasreg.engine.resolution import absolute_source

        config.data.source = absolute_source(args.data)
    prepared = prepare(config, EXPERIMENT)
    model = keras.models.load_model(f"{args.run_dir}/model.keras")
    x_test = prepared.dataset.x_test
    corruptions = args.corruptions.split(",") if args.corruptions else CORRUPTIONS
    examples = args.examples or len(x_test) // len(SEVERITIES)
    with sampling_off(model):
        predictor = model_predictor("deterministic", model, config, prepared)
        predictor.predict(x_test[:256])  # traces the step before anything is timed
        clean = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            predictor.predict(x_test)
            clean.append(time.perf_counter() - started)
        unit = statistics.median(clean)
        subsets = severity_subsets(len(x_test), examples, SEVERITIES, seed=0)
        rows = []
        for name in corruptions:
            started = time.perf_counter()
            x = np.concatenate([corrupt(x_test[subsets[s]], name, s, seed=0) for s in SEVERITIES])
            making = time.perf_counter() - started
            started = time.perf_counter()
            predictor.predict(x)
            predicting = time.perf_counter() - started
            rows.append((name, making, predicting))
    print(f"{machine()}; code {commit()}; run {args.run_dir}; test-time augmentation "
          f"{config.training.test_time_augmentation}")  # fmt: skip
    print(f"one test-set evaluation ({len(x_test)} images): {unit:.2f} s (median of {args.rounds}); "
          f"{examples} images per severity, 5 severities per corruption\n")  # fmt: skip
    print("| corruption | making s | predicting s | total in test-set evaluations |")
    print("|---|---|---|---|")
    for name, making, predicting in rows:
        print(f"| {name} | {making:.2f} | {predicting:.2f} | {(making + predicting) / unit:.2f} |")
    making, predicting = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"| **all {len(rows)}** | {making:.2f} | {predicting:.2f} | {(making + predicting) / unit / len(rows):.2f} "
          "per corruption |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
