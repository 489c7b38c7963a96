"""Trains, evaluates and scores under shift one tiny run on the backend of ``KERAS_BACKEND``; prints JSON.

Run by tests/engine/test_jax_backend.py in its own process (the backend is
chosen once per process): ``python tests/engine/jax_run.py LOGDIR``.
"""

import json
import sys

import keras
import numpy as np

import kerasreg
from tests.engine.user_models import dropout_cnn


def main(logdir):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(96, 8, 8, 3), dtype=np.uint8)
    y = (x.mean(axis=(1, 2, 3)) > 127.5).astype("int64")
    exp = kerasreg.Experiment(model=dropout_cnn, data=(x[:64], y[:64], x[64:], y[64:]), logdir=logdir, name="jax",
                              config={"regularization.dropout_rate": 0.3, "training.batch_size": 16,
                                      "training.test_time_augmentation": "flip", "training.calibration": "temperature"})
    run = exp.train(epochs=1, log=lambda *_: None)
    again = exp.evaluate(run.run_dir, log=lambda *_: None)
    shifted = exp.evaluate(run.run_dir, shift=True, ood=True, mc_samples=2, corruptions=["contrast"], shift_examples=4,
                           log=lambda *_: None)
    print(json.dumps({"backend": keras.backend.backend(), "test": run.test, "calibration": run.results["calibration"],
                      "again": {k: v for k, v in again.items() if k != "calibration"},
                      "predictors": sorted(shifted["predictors"]), "run_dir": run.run_dir}))


if __name__ == "__main__":
    main(sys.argv[1])
