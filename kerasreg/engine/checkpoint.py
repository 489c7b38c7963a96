"""`RunCheckpoint`: the end-of-epoch state a resumed run continues from, exactly.

Keras's `BackupAndRestore` saves weights and optimizer but not the seed
states of random layers (dropout masks would restart), nor the history
before the interruption, and it writes its files in place. This callback
saves, after every epoch, in ``<run_dir>/resume/`` (`folder_of`):

- ``epoch-NNNN.weights.h5``: model weights and optimizer state
  (`keras.Model.save_weights`);
- ``swa-epoch-NNNN.npz``: with stochastic weight averaging, the running
  average and its snapshot count;
- ``state.json``: epochs done, the name of that weights file, every seed
  generator's state (dropout and the other random layers), the metric
  history so far, the training seconds (in total and at each epoch's end),
  and the early-stopping counters.

Each file is written to a temporary name and renamed into place, the
weights first and ``state.json`` last; ``state.json`` names the weights it
goes with, so a crash at any moment leaves the previous complete pair. The
data pipeline is a function of ``(seed, epoch)`` (`kerasreg.data.make_dataset`),
so with these restored the resumed epochs see the same batches, masks and
updates as an uninterrupted run.
"""

import contextlib
import glob
import json
import os
import tempfile

import keras
import numpy as np

from kerasreg.engine.run_files import write_json_atomic

STATE_FILE = "state.json"
FOLDER = "resume"
# The folder's name in runs written before it was renamed. TensorFlow names
# its checkpoint-state file ``checkpoint``, and TensorBoard, walking a run
# directory, tried to read a folder of that name as one (a
# FailedPreconditionError warning per run).
OLD_FOLDER = "checkpoint"


def folder_of(run_dir):
    """Where a run directory keeps its checkpoint: ``resume/``, or ``checkpoint/`` in a run that has one.

    A run written before the rename resumes from (and goes on writing to)
    the folder it has.
    """
    old = os.path.join(run_dir, OLD_FOLDER)
    if os.path.isdir(old) and not os.path.isdir(os.path.join(run_dir, FOLDER)):
        return old
    return os.path.join(run_dir, FOLDER)


def seed_states(model):
    """The state variables of every `keras.random.SeedGenerator` in ``model``, in a fixed order."""
    weights = {id(variable) for variable in model.weights}
    return [v for v in model.variables if id(v) not in weights and v.name == "seed_generator_state"]


def load_state(folder):
    """The saved ``state.json`` of a checkpoint folder, or ``None`` if there is none."""
    path = os.path.join(folder, STATE_FILE)
    if not os.path.isfile(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def restore(model, folder, state):
    """Loads the weights, optimizer state and seed states of ``state`` into a compiled ``model``.

    Returns the early-stopping best weights (a list of arrays) when the
    checkpoint holds them, else ``None``.
    """
    if not model.optimizer.built:
        # An unbuilt optimizer has no slots to load into (Keras would skip them).
        model.optimizer.build(model.trainable_variables)
    best_weights = None
    if state.get("best_weights"):
        # First, because loading a weights file loads its optimizer state too.
        model.load_weights(os.path.join(folder, state["best_weights"]))
        best_weights = model.get_weights()
    model.load_weights(os.path.join(folder, state["weights"]))
    variables = seed_states(model)
    if len(variables) != len(state["seed_states"]):
        raise ValueError(
            f"the checkpoint holds {len(state['seed_states'])} seed states but the model has {len(variables)}"
        )
    for variable, value in zip(variables, state["seed_states"]):
        variable.assign(np.asarray(value, dtype=variable.dtype))
    return best_weights


def save_swa_state(swa, path):
    """Writes a `StochasticWeightAveraging` state (count and averaged weights) as ``.npz``, atomically."""
    from kerasreg.atomic_files import atomic_write

    state = swa.get_state()
    with atomic_write(path, "wb") as stream:
        np.savez(stream, count=np.asarray(state["count"]), **{f"w{i}": w for i, w in enumerate(state["weights"])})


def load_swa_state(path):
    """The ``{"count", "weights"}`` state `save_swa_state` wrote."""
    with np.load(path) as data:
        count = int(data["count"])
        weights = [data[f"w{i}"] for i in range(len(data.files) - 1)]
    return {"count": count, "weights": weights}


def _save_weights_atomic(model, path):
    # save_weights insists on the ".weights.h5" ending, so the temporary file
    # is a hidden name with that ending, renamed when complete.
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-", suffix=".weights.h5")
    os.close(handle)
    try:
        model.save_weights(temporary, overwrite=True)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


class RunCheckpoint(keras.callbacks.Callback):
    """Saves the complete training state at the end of every epoch (see the module docstring).

    Place it after ``early_stopping`` in the callback list, so it sees the
    epoch's early-stopping decision and restores the counters after
    `EarlyStopping` resets them.

    Args:
        folder: The checkpoint folder (created when first saved).
        early_stopping: The run's `keras.callbacks.EarlyStopping`, or ``None``;
            its counters and best weights are saved and restored too.
        resumed: The `load_state` dict being resumed, or ``None``.
        best_weights: What `restore` returned for ``resumed``.
        extra_state: Zero-argument callable returning a JSON-able dict saved
            along (the engine's training seconds).
        swa: The run's `StochasticWeightAveraging`, or ``None``; its running
            average is saved with each epoch (place it before this callback).
    """

    def __init__(self, folder, early_stopping=None, resumed=None, best_weights=None, extra_state=None, swa=None):
        super().__init__()
        self.swa = swa
        self.folder = folder
        self.early_stopping = early_stopping
        self.resumed = resumed or {}
        self.best_weights = best_weights
        self.extra_state = extra_state or dict
        self.history = {name: list(values) for name, values in self.resumed.get("history", {}).items()}
        self.best_file = self.resumed.get("best_weights")

    def on_train_begin(self, logs=None):
        stopping = self.early_stopping
        if stopping is not None and "early_stopping" in self.resumed:
            counters = self.resumed["early_stopping"]
            stopping.wait, stopping.best, stopping.best_epoch = counters["wait"], counters["best"], counters["best_epoch"]
            stopping.best_weights = self.best_weights

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(float(value))
        os.makedirs(self.folder, exist_ok=True)
        weights = f"epoch-{epoch + 1:04d}.weights.h5"
        _save_weights_atomic(self.model, os.path.join(self.folder, weights))
        state = {
            "epoch": epoch + 1,
            "weights": weights,
            "seed_states": [np.asarray(v.numpy()).tolist() for v in seed_states(self.model)],
            "history": self.history,
            "stopped": bool(self.model.stop_training),
            **self.extra_state(),
        }
        stopping = self.early_stopping
        if stopping is not None:
            state["early_stopping"] = {"wait": stopping.wait, "best": _plain(stopping.best), "best_epoch": stopping.best_epoch}
            if stopping.restore_best_weights and stopping.best_weights is not None:
                if stopping.best_epoch == epoch:
                    self.best_file = f"best-epoch-{epoch + 1:04d}.weights.h5"
                    _save_weights_atomic(self.model, os.path.join(self.folder, self.best_file))
                state["best_weights"] = self.best_file
        if self.swa is not None and self.swa.snapshots_averaged:
            state["swa"] = f"swa-epoch-{epoch + 1:04d}.npz"
            save_swa_state(self.swa, os.path.join(self.folder, state["swa"]))
        write_json_atomic(os.path.join(self.folder, STATE_FILE), state)
        keep = {weights, state.get("best_weights"), state.get("swa")}
        for old in glob.glob(os.path.join(self.folder, "*epoch-*.weights.h5")) + glob.glob(os.path.join(self.folder, "swa-epoch-*.npz")):
            if os.path.basename(old) not in keep:
                with contextlib.suppress(OSError):
                    os.remove(old)


def _plain(value):
    return None if value is None else float(value)
