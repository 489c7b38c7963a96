"""kerasreg.engine: the run lifecycle, shared by every experiment.

config resolution (`resolve_config`, no argparse) -> `prepare` (data,
model, loss and metrics, optimizer; every check that can fail on bad
input, silent no-ops included) -> `train` (the one training path, with
checkpoints and resume) -> evaluation -> ``results.json``, ``model.keras``,
``inference.keras`` and TensorBoard. A `Task` says what is trained;
`kerasreg.Experiment` builds on it, and `kerasreg.tuning`,
`kerasreg.comparison` and the command line sit on top of this package.
"""

from kerasreg.engine.evaluation import (
    calibration_metrics,
    evaluation_model,
    inference_model,
    prediction_scores,
    test_predictions,
)
from kerasreg.engine.losses import Objective, Outputs, as_objective
from kerasreg.engine.noops import (
    active_regularizers,
    check_distinct,
    check_no_silent_noops,
    check_variant_noops,
    ineffective_keys,
    model_fingerprint,
)
from kerasreg.engine.prepare import Prepared, distribution_strategy, prepare, training_arrays
from kerasreg.engine.resolution import default_preset, resolve_config
from kerasreg.engine.snapshots import SnapshotSaver, snapshot_ensemble, snapshot_epochs
from kerasreg.engine.task import SMOKE_PRESET, Task, plain_defaults
from kerasreg.engine.training import (
    RUN_FILE,
    RunInterrupted,
    TimeAndNaN,
    evaluate_test,
    summary_table,
    train,
    train_into,
    training_callbacks,
    versions,
)

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
    "resolve_config",
    "snapshot_ensemble",
    "snapshot_epochs",
    "summary_table",
    "test_predictions",
    "train",
    "train_into",
    "training_callbacks",
    "versions",
]
