"""The recipe engine's training throughput against a plain hand-written `model.fit`.

Run from the repository root (by hand; CI never runs it)::

    python benchmarks/overhead.py --data ../shared/data/cifar10-jpeg.tar.gz
    python benchmarks/overhead.py --quick          # synthetic data, a smoke check

Both variants train the same model (the engine's, built and compiled by
`engine.prepare` from the cpu preset) on the same training split, with
the same validation split evaluated every epoch:

- ``engine``: `kerasreg.engine.train`, everything it does per epoch
  (its seeded pipeline with per-batch reseeded augmentation, the NaN check,
  the checkpoint of weights, optimizer and seed states, the summary);
  TensorBoard off (`benchmarks/tensorboard_overhead.py` measures that).
- ``plain``: what a person writes by hand: ``from_tensor_slices``, shuffle,
  batch, a ``map`` of Keras's RandomFlip and RandomTranslation, prefetch,
  and ``model.fit`` with no callbacks.

Reported: median steady-state epoch time (first epoch left out) over
interleaved rounds, and the throughput ratio plain time / engine time
(target >= 0.97).
"""

import argparse
import math
import shlex
import statistics
import sys
import tempfile

from epoch_timing import commit, cpu_preset_config, interleaved, machine, parse_run_arguments, train_with_timer

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from kerasreg import engine  # noqa: E402
from kerasreg.recipes.cifar import EXPERIMENT  # noqa: E402

TARGET = 0.97


def run_plain(config):
    def run(timer):
        prepared = engine.prepare(config, EXPERIMENT)  # the same model, compiled the same way
        data = prepared.dataset
        x_train, y_train, x_val, y_val = engine.training_arrays(config, data)
        pixels = config.data.translate_pixels
        augment = keras.Sequential([
            keras.layers.RandomFlip("horizontal"),
            keras.layers.RandomTranslation(pixels / 32, pixels / 32, fill_mode="constant", interpolation="nearest"),
        ])  # fmt: skip
        classes = data.num_classes

        def scale(images, labels):
            return tf.cast(images, tf.float32) / 255.0, tf.one_hot(labels, classes)

        batch = config.training.batch_size
        train = (tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(len(x_train)).batch(batch)
                 .map(lambda i, l: (augment(scale(i, l)[0], training=True), scale(i, l)[1]), num_parallel_calls=tf.data.AUTOTUNE)
                 .prefetch(tf.data.AUTOTUNE))  # fmt: skip
        validation = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(batch).map(scale).prefetch(tf.data.AUTOTUNE)
        assert math.ceil(len(x_train) / batch) == prepared.steps_per_epoch
        prepared.model.fit(train, validation_data=validation, epochs=config.training.epochs, callbacks=[timer], verbose=0)

    return run


def main(argv=None):
    args = parse_run_arguments(argparse.ArgumentParser(description=__doc__.splitlines()[0]), argv)
    with tempfile.TemporaryDirectory() as logdir:
        config = cpu_preset_config(args, logdir, "logging.tensorboard=false")
        times = interleaved({"engine": train_with_timer(config), "plain": run_plain(config)}, args.rounds)
    engine_time = statistics.median(times["engine"])
    plain_time = statistics.median(times["plain"])
    ratio = plain_time / engine_time
    print()
    print(f"command: python {' '.join(shlex.quote(a) for a in sys.argv)}")
    print(f"machine: {machine()}; commit {commit()}")
    print(f"| variant | epoch time (median of {args.rounds}) | throughput vs plain |")
    print("|---|---|---|")
    print(f"| plain `model.fit` | {plain_time:.2f} s | 1.00 |")
    print(f"| kerasreg engine | {engine_time:.2f} s | {ratio:.3f} (target >= {TARGET}) |")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
