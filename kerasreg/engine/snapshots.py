"""Snapshot ensembles (Huang et al. 2017): the weights at the end of the last cosine-restart cycles, averaged."""

import os

import keras
import numpy as np

from kerasreg.atomic_files import atomic_write
from kerasreg.config import ConfigError
from kerasreg.engine.evaluation import evaluation_model, prediction_scores, test_predictions
from kerasreg.layers.mc_mode import sampling_off


def snapshot_epochs(config):
    """The epochs (1-based) whose weights ``training.snapshot_ensemble`` averages: the last cycle ends.

    Snapshot ensembles (Huang et al. 2017, "Snapshot Ensembles: Train 1,
    get M for free"): with cosine annealing and warm restarts, the weights
    at the end of each cycle (the lowest learning rate) are good and
    diverse models. Cycles are read from ``schedule.first_decay_epochs`` and
    ``t_mul``; each must end on a whole epoch.
    """
    wanted = config.training.snapshot_ensemble
    if not wanted:
        return []
    schedule = config.schedule
    if schedule.get("name") != "cosine_restarts" or "first_decay_epochs" not in schedule:
        raise ConfigError(
            "training.snapshot_ensemble needs schedule.name='cosine_restarts' with schedule.first_decay_epochs "
            f"(its cycles give the snapshots). Received: schedule={dict(schedule)!r}"
        )
    length, t_mul, end, ends = float(schedule["first_decay_epochs"]), float(schedule.get("t_mul", 2.0)), 0.0, []
    while length > 0 and end + length <= config.training.epochs + 1e-6:
        end += length
        if abs(end - round(end)) > 1e-6:
            raise ConfigError(f"training.snapshot_ensemble: a cosine_restarts cycle ends inside epoch {end:g}; "
                              "choose first_decay_epochs and t_mul so that cycles end on whole epochs")  # fmt: skip
        ends.append(int(round(end)))
        length *= t_mul
    if len(ends) < wanted:
        raise ConfigError(f"training.snapshot_ensemble={wanted} but the schedule's cycles end only after epochs "
                          f"{ends} of {config.training.epochs}")  # fmt: skip
    return ends[-wanted:]


class SnapshotSaver(keras.callbacks.Callback):
    """Saves every weight (batch-norm statistics included) at the end of the snapshot epochs, atomically."""

    def __init__(self, folder, epochs):
        super().__init__()
        self.folder, self.epochs = folder, set(epochs)

    @staticmethod
    def path(folder, epoch):
        return os.path.join(folder, f"snapshot-{epoch:04d}.npz")

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 in self.epochs:
            with atomic_write(self.path(self.folder, epoch + 1), "wb") as stream:
                np.savez(stream, *self.model.get_weights())


def snapshot_ensemble(model, config, prepared, folder, epochs):
    """Scores each saved snapshot and the mean of their probabilities; leaves the model's weights as they were."""
    final = model.get_weights()
    members, total, labels = [], None, None
    for epoch in epochs:
        path = SnapshotSaver.path(folder, epoch)
        if not os.path.isfile(path):  # stopped early, before this cycle ended
            continue
        with np.load(path) as data:
            model.set_weights([data[f"arr_{i}"] for i in range(len(data.files))])
        with sampling_off(model):
            labels, probabilities = test_predictions(evaluation_model(model, config, prepared.fresh_metrics()),
                                                     prepared.test, prepared.one_hot, prepared.outputs)  # fmt: skip
        total = probabilities if total is None else total + probabilities
        members.append({"epoch": epoch, **prediction_scores(probabilities, labels)})
    model.set_weights(final)
    if not members:
        return None
    return {"epochs": [m["epoch"] for m in members], "members": members,
            "ensemble": prediction_scores(total / len(members), labels)}  # fmt: skip
