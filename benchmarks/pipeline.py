"""Does the input pipeline keep up? Images/s of the training pipeline alone, with and without augmentation.

Run from the repository root (by hand; CI never runs it; under a minute)::

    python benchmarks/pipeline.py --data ../shared/data/cifar10-jpeg.tar.gz

Iterates the cpu preset's training pipeline (`kerasreg.data.make_dataset`:
seeded shuffle, gather, scaling, Keras augmentation reseeded per batch,
prefetch) with no model attached, once with the preset's augmentation and
once with none, and prints images/s. The pipeline keeps up when its rate is
many times the training rate (the time-to-accuracy table's images/s): the
training step then never waits for data, and the share of the two cores the
pipeline takes is about training rate / pipeline rate.
"""

import argparse
import shlex
import sys
import time

from epoch_timing import commit, machine

from kerasreg.data import load_dataset, make_dataset  # noqa: E402


def images_per_second(x, y, augment, batch_size, batches):
    dataset = make_dataset(x, y, batch_size=batch_size, training=True, num_classes=int(y.max()) + 1,
                           augment=augment, seed=0, epochs=2)  # fmt: skip
    iterator = iter(dataset)
    next(iterator)  # tracing and the first prefetch
    start, count = time.perf_counter(), 0
    for _ in range(batches):
        images, _ = next(iterator)
        count += int(images.shape[0])
    return count / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="synthetic")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--batches", type=int, default=150)
    args = parser.parse_args(argv)
    data = load_dataset(args.data, synthetic_examples=50000)
    rows = [(name, images_per_second(data.x_train, data.y_train, augment, args.batch_size, args.batches))
            for name, augment in (("flip + translate (cpu preset)", ("flip", "translate")), ("none", ()))]  # fmt: skip
    print(f"command: python {' '.join(shlex.quote(a) for a in sys.argv)}")
    print(f"machine: {machine()}; commit {commit()}")
    print("| augmentation | pipeline images/s |")
    print("|---|---|")
    for name, rate in rows:
        print(f"| {name} | {rate:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
