"""How long the CIFAR-10-C corruptions of `kerasreg.uncertainty.corruptions` take to generate.

Run from the repository root (by hand; CI never runs it; ~1 minute for 2,000 images)::

    python benchmarks/corruptions.py
    python benchmarks/corruptions.py --images 10000 --rounds 3

The images are CIFAR-10 test images from ``--data`` (the JPEG copy,
``../shared/data/cifar10-jpeg.tar.gz`` by default: ``--images / 10`` of
each class, in file order), or smooth random 32x32 images where that file
is missing. Every corruption is generated at all five severities, in one
call per severity over all the images; with ``--rounds`` above 1 the
corruptions are timed in rotated order each round and the median kept.

Reported: a Markdown table of seconds per corruption (five severities) and
corrupted images per second, the machine (CPU model, cores) and the
library versions.
"""

import argparse
import io
import os
import statistics
import sys
import tarfile
import time
from pathlib import Path

from epoch_timing import commit

DEFAULT_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "cifar10-jpeg.tar.gz"
CLASSES = 10


def load_cifar_test(path, count):
    """The first ``ceil(count / 10)`` test images of each class, ``count`` in all, as uint8 (N, 32, 32, 3)."""
    import numpy as np
    from PIL import Image

    per_class = -(-count // CLASSES)
    taken = {}
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            parts = member.name.split("/")
            if not member.isfile() or "test" not in parts[:-2] or not member.name.endswith(".jpg"):
                continue
            images = taken.setdefault(parts[-2], [])
            if len(images) < per_class:
                with Image.open(io.BytesIO(archive.extractfile(member).read())) as picture:
                    images.append(np.asarray(picture.convert("RGB")))
    return np.stack([image for name in sorted(taken) for image in taken[name]][:count])


def smooth_random_images(count, seed=0):
    import numpy as np
    from scipy import ndimage

    noise = np.random.default_rng(seed).uniform(0, 255, (count, 32, 32, 3))
    blurred = ndimage.gaussian_filter(noise, (0, 1.5, 1.5, 0))
    low = blurred.min(axis=(1, 2, 3), keepdims=True)
    return ((blurred - low) / np.ptp(blurred, axis=(1, 2, 3), keepdims=True) * 200 + 25).astype("uint8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)

    import numpy as np
    import PIL
    import scipy

    from kerasreg.engine import hardware
    from kerasreg.uncertainty.corruptions import CORRUPTIONS, SEVERITIES, corrupt

    if args.data.exists():
        images = load_cifar_test(args.data, args.images)
        source = f"CIFAR-10 test images ({args.data.name})"
    else:
        images = smooth_random_images(args.images)
        source = f"smooth random images ({args.data} not found)"

    def generate(corruption):
        for severity in SEVERITIES:
            corrupt(images, corruption, severity)

    generate("contrast")  # warm-up: first imports and allocations
    times = {name: [] for name in CORRUPTIONS}
    for round_ in range(args.rounds):
        order = CORRUPTIONS[round_ % len(CORRUPTIONS):] + CORRUPTIONS[: round_ % len(CORRUPTIONS)]
        for name in order:
            start = time.perf_counter()
            generate(name)
            times[name].append(time.perf_counter() - start)
    seconds = {name: statistics.median(values) for name, values in times.items()}

    print(f"command: python {' '.join(sys.argv)}")
    versions = f"NumPy {np.__version__}, SciPy {scipy.__version__}, Pillow {PIL.__version__}"
    print(f"machine: {hardware.cpu_model()}, nproc {os.cpu_count()} ({hardware.usable_cores()} usable); "
          f"{versions}; commit {commit()}")  # fmt: skip
    print(f"{len(images)} {source}, 5 severities each, median of {args.rounds} round(s):\n")
    print("| corruption | seconds (5 severities) | images/s |")
    print("| --- | ---: | ---: |")
    for name in CORRUPTIONS:
        print(f"| {name} | {seconds[name]:.2f} | {5 * len(images) / seconds[name]:,.0f} |")
    total = sum(seconds.values())
    print(f"| all {len(CORRUPTIONS)} | {total:.2f} | {5 * len(CORRUPTIONS) * len(images) / total:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
