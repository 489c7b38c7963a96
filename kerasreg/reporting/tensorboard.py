"""`RunLogger`: the TensorBoard records Keras's `TensorBoard` callback does not write.

Keras's callback writes the per-epoch train/validation scalars; this adds,
under the same run directory:

- ``learning_rate`` per step (train writer), computed from the schedule for
  the whole epoch at its end, so training pays no per-batch callback;
- ``gap/<metric>`` for each metric with a validation value, per epoch: the
  generalization gap, positive when training looks better (`gaps`);
- an image of the learning-rate schedule, at the start;
- HParams (the run's flattened config and final metrics), so the HParams
  dashboard lists and compares every run under the log root;
- a confusion-matrix image of the test set, at the end (`log_confusion_matrix`).
"""

import io
import os

import keras
import numpy as np

from kerasreg import internals
from kerasreg.plotting.schedules import evaluate_schedule, new_figure
from kerasreg.reporting.gaps import generalization_gap


def flat_hparams(config_dict):
    """``{"section.key": value}`` with values TensorBoard's HParams accepts (str, bool, int, float)."""
    flat = {}
    for section, values in config_dict.items():
        if not isinstance(values, dict):
            flat[section] = str(values)
            continue
        for key, value in values.items():
            if isinstance(value, (bool, int, float, str)):
                flat[f"{section}.{key}"] = value
            else:
                flat[f"{section}.{key}"] = str(value)
    return flat


def png_to_image(png_bytes):
    import tensorflow as tf

    return tf.expand_dims(tf.image.decode_png(png_bytes, channels=4), 0)


def confusion_matrix(labels, predictions, num_classes):
    """Counts ``[true, predicted]`` as an integer matrix."""
    matrix = np.zeros((num_classes, num_classes), dtype="int64")
    np.add.at(matrix, (np.asarray(labels, "int64"), np.asarray(predictions, "int64")), 1)
    return matrix


def _png_bytes(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _confusion_png(matrix, class_names):
    size = max(4.0, 0.5 * len(class_names) + 2)
    figure = new_figure(size, size)
    axes = figure.add_subplot()
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    axes.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ticks = range(len(class_names))
    axes.set_xticks(ticks, class_names, rotation=90)
    axes.set_yticks(ticks, class_names)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    for i in ticks:
        for j in ticks:
            axes.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7,
                      color="white" if rates[i, j] > 0.5 else "black")
    return _png_bytes(figure)


def _schedule_png(schedule, num_steps):
    figure = new_figure(6, 3.5)
    axes = figure.add_subplot()
    axes.plot(np.arange(num_steps), evaluate_schedule(schedule, num_steps))
    axes.set_xlabel("step")
    axes.set_ylabel("learning rate")
    axes.grid(alpha=0.3)
    return _png_bytes(figure)


class RunLogger(keras.callbacks.Callback):
    """Writes the learning rate per step, the generalization gap, the schedule image and HParams.

    Args:
        run_dir: The run directory (Keras's `TensorBoard` callback writes
            ``train/`` and ``validation/`` below it; this writes there too).
        schedule: The learning-rate schedule the optimizer was built with.
        steps_per_epoch: Training steps per epoch.
        total_steps: Steps of the whole run (for the schedule image).
        hparams: The resolved config as nested dicts, or with ``flat=True``
            a ``{name: value}`` mapping logged as it is (a search's tuned values).
        flat: Whether ``hparams`` is already flat.
    """

    def __init__(self, run_dir, schedule, steps_per_epoch, total_steps, hparams, flat=False):
        super().__init__()
        import tensorflow as tf

        self.run_dir = run_dir
        self.schedule = schedule
        self.steps_per_epoch = steps_per_epoch
        self.total_steps = total_steps
        self.hparams = dict(hparams) if flat else flat_hparams(hparams)
        self._train = tf.summary.create_file_writer(os.path.join(run_dir, "train"))
        self._validation = tf.summary.create_file_writer(os.path.join(run_dir, "validation"))
        self._root = tf.summary.create_file_writer(run_dir)

    def on_train_begin(self, logs=None):
        import tensorflow as tf
        from tensorboard.plugins.hparams import api as hp

        with self._root.as_default():
            hp.hparams(self.hparams, trial_id=os.path.basename(self.run_dir))
            tf.summary.image("learning_rate_schedule", png_to_image(_schedule_png(self._current_schedule(), self.total_steps)), step=0)
        self._root.flush()

    def _current_schedule(self):
        # A plateau callback may have wrapped the schedule: ask the optimizer.
        return internals.optimizer_schedule(self.model.optimizer) or self.schedule

    def on_epoch_end(self, epoch, logs=None):
        import tensorflow as tf

        logs = logs or {}
        first = epoch * self.steps_per_epoch
        steps = np.arange(first, first + self.steps_per_epoch)
        rates = np.broadcast_to(
            keras.ops.convert_to_numpy(self._current_schedule()(keras.ops.convert_to_tensor(steps, "int32"))),
            steps.shape,
        )
        with self._train.as_default():
            for step, rate in zip(steps, rates):
                tf.summary.scalar("learning_rate", float(rate), step=int(step))
        with self._validation.as_default():
            for name in sorted(logs):
                if not name.startswith("val_") and f"val_{name}" in logs:
                    tf.summary.scalar(f"gap/{name}", generalization_gap(name, logs[name], logs[f"val_{name}"]),
                                      step=epoch)  # fmt: skip
        self._train.flush()
        self._validation.flush()

    def log_final(self, metrics, confusion=None, class_names=None):
        """Final metrics as scalars (HParams reads them) and the confusion-matrix image."""
        import tensorflow as tf

        with self._root.as_default():
            for name, value in metrics.items():
                tf.summary.scalar(f"final/{name}", float(value), step=0)
            if confusion is not None:
                tf.summary.image("confusion_matrix", png_to_image(_confusion_png(confusion, class_names)), step=0)
        self._root.flush()

    def close(self):
        for writer in (self._train, self._validation, self._root):
            writer.close()
