"""kerasreg.engine: the run lifecycle, shared by every experiment.

config resolution (`resolve_config`, no argparse) -> `prepare` (data,
model, loss and metrics, optimizer; every check that can fail on bad
input, silent no-ops included) -> `train` (the one training path, with
checkpoints and resume) -> evaluation -> ``results.json``, ``model.keras``,
``inference.keras`` and TensorBoard. A `Task` says what is trained;
`kerasreg.Experiment` builds on it, and `kerasreg.tuning`,
`kerasreg.comparison` and the command line sit on top of this package.
"""

from kerasreg.lazy import lazy_attributes

# Loaded on first use (`kerasreg.lazy`): a command line reads `Task`,
# `resolve_config` and `RUN_FILE` before TensorFlow is imported, while
# `train`, `prepare` and the evaluation helpers need it.
_LOCATIONS = {
    "active_regularizers": "kerasreg.engine.noops",
    "as_objective": "kerasreg.engine.losses",
    "calibration_metrics": "kerasreg.engine.evaluation",
    "check_distinct": "kerasreg.engine.noops",
    "check_no_silent_noops": "kerasreg.engine.noops",
    "check_variant_noops": "kerasreg.engine.noops",
    "default_preset": "kerasreg.engine.resolution",
    "distribution_strategy": "kerasreg.engine.preparation",
    "evaluate_test": "kerasreg.engine.training",
    "evaluation_model": "kerasreg.engine.evaluation",
    "ineffective_keys": "kerasreg.engine.noops",
    "inference_model": "kerasreg.engine.evaluation",
    "model_fingerprint": "kerasreg.engine.noops",
    "Objective": "kerasreg.engine.losses",
    "Outputs": "kerasreg.engine.losses",
    "plain_defaults": "kerasreg.engine.task",
    "prediction_scores": "kerasreg.engine.evaluation",
    "prepare": "kerasreg.engine.preparation",
    "progress_mode": "kerasreg.engine.progress",
    "Prepared": "kerasreg.engine.preparation",
    "resolve_config": "kerasreg.engine.resolution",
    "RUN_FILE": "kerasreg.engine.run_files",
    "RunInterrupted": "kerasreg.engine.training",
    "score": "kerasreg.engine.evaluation",
    "score_predictors": "kerasreg.engine.robustness",
    "score_test": "kerasreg.engine.evaluation",
    "score_test_calibrated": "kerasreg.engine.calibration",
    "SMOKE_PRESET": "kerasreg.engine.task",
    "snapshot_ensemble": "kerasreg.engine.snapshots",
    "snapshot_epochs": "kerasreg.engine.snapshots",
    "SnapshotSaver": "kerasreg.engine.snapshots",
    "summary_table": "kerasreg.engine.training",
    "Task": "kerasreg.engine.task",
    "test_predictions": "kerasreg.engine.evaluation",
    "TimeAndNaN": "kerasreg.engine.training",
    "train": "kerasreg.engine.training",
    "train_into": "kerasreg.engine.training",
    "training_arrays": "kerasreg.engine.preparation",
    "training_callbacks": "kerasreg.engine.training",
    "versions": "kerasreg.engine.training",
}

__all__ = [
    "Objective",
    "Outputs",
    "Prepared",
    "RUN_FILE",
    "RunInterrupted",
    "SMOKE_PRESET",
    "SnapshotSaver",
    "Task",
    "TimeAndNaN",
    "active_regularizers",
    "as_objective",
    "calibration_metrics",
    "check_distinct",
    "check_no_silent_noops",
    "check_variant_noops",
    "default_preset",
    "distribution_strategy",
    "evaluate_test",
    "evaluation_model",
    "ineffective_keys",
    "inference_model",
    "model_fingerprint",
    "plain_defaults",
    "prediction_scores",
    "prepare",
    "progress_mode",
    "resolve_config",
    "score",
    "score_predictors",
    "score_test",
    "score_test_calibrated",
    "snapshot_ensemble",
    "snapshot_epochs",
    "summary_table",
    "test_predictions",
    "train",
    "train_into",
    "training_callbacks",
    "versions",
]


__getattr__, __dir__ = lazy_attributes(__name__, _LOCATIONS)
