"""Every command of the engine on the backend of ``KERAS_BACKEND``, through `kerasreg.Experiment`; prints JSON.

Run by tests/engine/test_jax_backend.py in its own processes (the backend
is chosen once per process):

    python tests/engine/jax_run.py kill LOGDIR   # trains LOGDIR/killed, SIGKILLed after its first checkpoint
    python tests/engine/jax_run.py all LOGDIR    # resumes that run, then trains, evaluates, compares and tunes

The killed process SIGKILLs itself right after its first epoch checkpoint
is written (`tests.engine.kill_at`): no clean-up of any kind runs, and the
point is exact however fast the epochs are.
"""

import json
import os
import sys

import keras
import numpy as np

import kerasreg
from tests.engine.user_models import dropout_cnn

EPOCHS = 3
QUIET = dict(log=lambda *_: None)


def experiment(logdir):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(96, 8, 8, 3), dtype=np.uint8)
    y = (x.mean(axis=(1, 2, 3)) > 127.5).astype("int64")
    return kerasreg.Experiment(model=dropout_cnn, data=(x[:64], y[:64], x[64:], y[64:]), logdir=logdir, name="jax",
                               config={"regularization.dropout_rate": 0.3, "training.batch_size": 16,
                                       "training.test_time_augmentation": "flip",
                                       "training.calibration": "temperature"})  # fmt: skip


def killed(logdir):
    from tests.engine.kill_at import kill_after_checkpoint

    kill_after_checkpoint(1)
    experiment(logdir).train(seed=0, epochs=EPOCHS, run_dir=os.path.join(logdir, "killed"), **QUIET)
    raise SystemExit("the run was not killed after its first checkpoint")


class ScoringCounter:
    """Counts the test-set scorings (`score_test_calibrated`'s) made inside a ``with`` block."""

    def __enter__(self):
        from kerasreg.engine import calibration

        self.count, self._original = 0, calibration.scored_test

        def counted(*args, **kwargs):
            self.count += 1
            return self._original(*args, **kwargs)

        calibration.scored_test = counted
        return self

    def __exit__(self, *_):
        from kerasreg.engine import calibration

        calibration.scored_test = self._original


def resume(exp, run_dir):
    """``Experiment.resume`` of the killed run: the epochs this process trained and the lines it logged."""
    from kerasreg.engine import checkpoint

    original, trained, lines = checkpoint.RunCheckpoint.on_epoch_end, [], []

    def on_epoch_end(self, epoch, logs=None):
        original(self, epoch, logs)
        trained.append(epoch + 1)

    checkpoint.RunCheckpoint.on_epoch_end = on_epoch_end
    try:
        run = exp.resume(run_dir, log=lambda *parts: lines.append(" ".join(map(str, parts))))
    finally:
        checkpoint.RunCheckpoint.on_epoch_end = original
    return {"run_dir": run.run_dir, "epochs_trained": trained, "log": lines}


def everything(logdir):
    exp = experiment(logdir)
    resumed = resume(exp, os.path.join(logdir, "killed"))
    # The uninterrupted run the resumed one must end like; `evaluate` scores it afterwards.
    run = exp.train(seed=0, epochs=EPOCHS, **QUIET)
    again = exp.evaluate(run.run_dir, **QUIET)
    shifted = exp.evaluate(run.run_dir, shift=True, ood=True, mc_samples=2, corruptions=["contrast"], shift_examples=4,
                           **QUIET)  # fmt: skip
    with ScoringCounter() as compare_scorings:
        comparison = exp.compare({"no-dropout": {"regularization.dropout_rate": 0.0}, "dropout": {}}, seeds=2,
                                 epochs=1, name="jax", **QUIET)  # fmt: skip
    with ScoringCounter() as tune_scorings:
        search = exp.tune({"schedule.learning_rate": [0.001, 0.01]}, max_trials=2, epochs=1, **QUIET)
    print(json.dumps({
        "backend": keras.backend.backend(),
        "resumed": resumed,
        "run_dir": run.run_dir, "test": run.test, "calibration": run.results["calibration"],
        "again": {k: v for k, v in again.items() if k != "calibration"},
        "predictors": sorted(shifted["predictors"]),
        "compare": {"folder": comparison.folder, "rows": comparison.rows, "failed": comparison.failed,
                    "table": comparison.table, "test_scorings": compare_scorings.count},
        "tune": {"folder": search.folder, "results": search.results, "table": search.table,
                 "test_scorings": tune_scorings.count},
    }))  # fmt: skip


if __name__ == "__main__":
    {"kill": killed, "all": everything}[sys.argv[1]](sys.argv[2])
