"""The recipe engine: config -> data -> model -> fit -> TensorBoard -> results.

Recipes only configure (a `Recipe`: name, default config, presets); everything
that runs lives here, shared by every recipe.
"""

import contextlib
import dataclasses
import math
import os
import platform
import shutil
import sys
import tempfile
import time

import keras
import numpy as np

from kerasreg.architectures import build_model, identity_initialize, whiten_stem
from kerasreg.config import ConfigError, ExperimentConfig, to_dict
from kerasreg.data import default_validation_size, load_dataset, make_dataset, split_validation
from kerasreg.recipes import checkpoint, multi_worker
from kerasreg.recipes.graph_memory import forget_custom_gradients
from kerasreg.recipes.hardware import machine, resolve_auto_precision
from kerasreg.atomic_files import atomic_write
from kerasreg.recipes.run_files import create_run_dir, write_json_atomic
from kerasreg.schedules import Constant, Join, create_optimizer, create_schedule, with_run_length


# The smoke preset every recipe gets: synthetic images shaped like the
# recipe's data, a tiny net and a short, gentle schedule, so the whole engine
# runs end to end in seconds (what the tests use).
SMOKE_PRESET = {
    "data.source": "synthetic",
    "data.synthetic_examples": 256,
    "model.width": 8,
    "model.depth": 2,
    "training.epochs": 1,
    "training.batch_size": 32,
    "schedule.learning_rate": 0.03,
    "schedule.warmup_epochs": 0.25,
}


@dataclasses.dataclass
class Recipe:
    """What a recipe module declares; the engine does the rest.

    Attributes:
        name: The recipe's name (``logs/<name>/``, ``python -m kerasreg.recipes.<name>``).
        description: One line for ``--help``.
        defaults: Zero-argument callable returning the full-size `ExperimentConfig`.
        presets: ``{preset: {"section.key": value}}`` overrides, ``cpu`` and
            ``gpu`` at least; ``smoke`` (`SMOKE_PRESET`) is added unless given.
        builtin_data: The `keras.datasets` name ``data.source`` defaults to.
        synthetic_shape: Image shape of ``data.source = "synthetic"``, like the real data's.
    """

    name: str
    description: str
    defaults: object
    presets: dict
    builtin_data: str
    synthetic_shape: tuple = (32, 32, 3)

    def __post_init__(self):
        self.presets = {"smoke": dict(SMOKE_PRESET), **self.presets}


@dataclasses.dataclass
class Prepared:
    """Everything built before the first step; building it validates the whole config."""

    config: ExperimentConfig
    dataset: object
    train: object
    validation: object
    test: object
    num_train: int
    num_validation: int
    steps_per_epoch: int
    model: keras.Model
    schedule: object
    one_hot: bool
    workers: tuple = None  # (num_workers, task_index) under TF_CONFIG
    # Training images, plain (no augmentation), one pass: SWA's batch-norm re-estimation.
    batch_norm_data: object = None

    @property
    def chief(self):
        """Whether this process writes the run (always, unless it is a non-chief worker)."""
        return self.workers is None or self.workers[1] == 0


def distribution_strategy():
    """``(strategy, workers)``: the `tf.distribute` strategy to train under.

    - ``TF_CONFIG`` set: `MultiWorkerMirroredStrategy`, and ``workers`` is
      ``(num_workers, task_index)`` (`kerasreg.recipes.multi_worker`).
    - Several GPUs visible: `MirroredStrategy` over them.
    - Otherwise ``None``, the default strategy (one device).
    """
    import tensorflow as tf

    workers = multi_worker.cluster()
    if workers is not None:
        return multi_worker.strategy(), workers
    if len(tf.config.list_physical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy(), None
    return None, None


def versions():
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "backend": keras.backend.backend(),
        "kerasreg": sys.modules["kerasreg"].__version__,
    }


def _optimizer_config(config):
    reg = config.regularization
    # "l2" decay is already in the model as kernel regularizers.
    return {**config.optimizer, "weight_decay_mode": reg.weight_decay_mode, "weight_decay": reg.decoupled_weight_decay}


def _labels_one_hot(dataset, num_classes):
    import tensorflow as tf

    return dataset.map(lambda x, y: (x, tf.one_hot(tf.cast(y, "int32"), num_classes)))


# Training images the whitening stem is estimated from (airbench uses 5,000).
WHITENING_IMAGES = 5000


def _whiten(model, config, x_train):
    try:
        # Scaled as the pipeline scales them; the first images of a seeded split.
        whiten_stem(model, x_train[:WHITENING_IMAGES].astype("float32") / 255.0)
    except ValueError:
        raise ConfigError(
            "model.whitening=true needs a model whose stem is sized for patch whitening (model.name='airbench'). "
            f"Received: model.name={config.model.name!r}"
        ) from None


def _with_swa_rate(schedule, training, steps_per_epoch):
    """The schedule, switched to ``swa_learning_rate`` for the SWA epochs when one is set."""
    if not training.swa_epochs or not training.swa_learning_rate:
        return schedule
    start = (training.epochs - training.swa_epochs) * steps_per_epoch
    if start == 0:
        return Constant(training.swa_learning_rate)
    return Join([schedule, Constant(training.swa_learning_rate)], boundaries=[start])


def _compiled_model(config, dataset, steps_per_epoch, one_hot, x_train):
    try:
        model = build_model(
            config.model.name,
            input_shape=dataset.input_shape,
            num_classes=dataset.num_classes,
            regularization=config.regularization,
            width=config.model.width or None,
            depth=config.model.depth or None,
            seed=config.training.seed,
            activation=config.model.activation or None,
        )
        if config.model.identity_init:
            identity_initialize(model)
        if config.model.whitening:
            _whiten(model, config, x_train)
        schedule = create_schedule(with_run_length(config.schedule, config.training.epochs), steps_per_epoch)
        schedule = _with_swa_rate(schedule, config.training, steps_per_epoch)
        optimizer = create_optimizer(_optimizer_config(config), schedule)
    except ValueError as error:
        raise ConfigError(str(error).splitlines()[0]) from None
    if one_hot:
        loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=config.training.label_smoothing)
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"], jit_compile=config.training.jit_compile)
    return model, schedule


def training_arrays(config, dataset):
    """``(x_train, y_train, x_val, y_val)``: the run's training subset and its seeded validation split."""
    data = config.data
    x, y = dataset.x_train, dataset.y_train
    if data.train_subset:
        if data.train_subset > len(x):
            raise ConfigError(f"data.train_subset={data.train_subset} is more than the {len(x)} training examples")
        keep = np.random.default_rng(config.training.seed).permutation(len(x))[: data.train_subset]
        x, y = x[keep], y[keep]
    size = data.validation_size or default_validation_size(len(x))
    if size >= 1:
        size = int(size)
    try:
        return split_validation(x, y, size, config.training.seed)
    except ValueError as error:
        raise ConfigError(str(error).splitlines()[0]) from None


def prepare(config, recipe, first_epoch=0):
    """Loads the data and builds model, schedule and optimizer; raises before anything is written.

    The training pipeline holds epochs ``first_epoch .. training.epochs - 1``
    (a resumed run starts past 0), each ``steps_per_epoch`` batches long.
    """
    strategy, workers = distribution_strategy()
    keras.utils.set_random_seed(config.training.seed)
    resolve_auto_precision(config)  # for callers that did not resolve through the CLI
    # Always set: a policy left over from an earlier run in this process must not leak in.
    policy = config.training.mixed_precision
    keras.config.set_dtype_policy("float32" if policy == "none" else policy)
    data = config.data
    dataset = load_dataset(
        data.source,
        cache_dir=data.cache_dir or None,
        builtin=recipe.builtin_data,
        synthetic_examples=data.synthetic_examples,
        synthetic_shape=recipe.synthetic_shape,
        # The synthetic set is one fixed dataset, like a real one: the run's
        # seed varies the split, initialisation and batches, not the test set
        # (runs of different seeds must be comparable and ensemble-able).
        seed=0,
    )
    x_train, y_train, x_val, y_val = training_arrays(config, dataset)

    try:
        mixing = data.mixup_alpha > 0 or data.cutmix_alpha > 0
        one_hot = mixing or config.training.label_smoothing > 0
        batch = config.training.batch_size
        common = dict(batch_size=batch, num_classes=dataset.num_classes, seed=config.training.seed)
        train = make_dataset(
            x_train, y_train, training=True, augment=tuple(data.augment), translate_pixels=data.translate_pixels,
            erasing_rate=data.erasing_rate, mixup_alpha=data.mixup_alpha, cutmix_alpha=data.cutmix_alpha,
            epochs=config.training.epochs, first_epoch=first_epoch, **common,
        )
        validation = make_dataset(x_val, y_val, training=False, **common)
        batch_norm_data = make_dataset(x_train, y_train, training=False, **common) if config.training.swa_epochs else None
        test = make_dataset(dataset.x_test, dataset.y_test, training=False, **common)
        if one_hot:
            if not mixing:
                train = _labels_one_hot(train, dataset.num_classes)
            validation = _labels_one_hot(validation, dataset.num_classes)
            test = _labels_one_hot(test, dataset.num_classes)
    except ValueError as error:
        # The pipeline's own argument checks (augmentation names, mixing rates).
        raise ConfigError(str(error).splitlines()[0]) from None
    steps_per_epoch = math.ceil(len(x_train) / batch)

    # Variables (model, optimizer, metrics) live under the strategy's scope.
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model, schedule = _compiled_model(config, dataset, steps_per_epoch, one_hot, x_train)
    if workers is not None:
        train, validation, test = (multi_worker.shard_by_data(d) for d in (train, validation, test))
        multi_worker.adapt_model(model, strategy)
    return Prepared(config, dataset, train, validation, test, len(x_train), len(x_val), steps_per_epoch, model,
                    schedule, one_hot, workers, batch_norm_data)


class TimeAndNaN(keras.callbacks.Callback):
    """Measures training wall time; stops at once on a NaN loss.

    Raising (rather than setting ``stop_training``) leaves the epoch
    unfinished, so the checkpoint is never written with the broken weights
    and the last one stays the last good one.
    """

    def __init__(self, seconds=0.0):
        super().__init__()
        self.seconds = seconds

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        self._epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self.seconds += time.perf_counter() - self._start

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise FloatingPointError(
                f"the training loss became {float(loss)} at step {batch + 1} of epoch {self._epoch + 1}"
            )


def evaluation_model(model, config):
    """The model the test set is evaluated with (``training.test_time_augmentation``).

    ``"none"``: ``model`` itself. ``"flip"``: a model returning the mean of
    the logits of each image and of its horizontal mirror. ``"flip_translate"``
    (airbench94's level 2): half that mean, plus a quarter each of the same
    for the image shifted one pixel up-left and one pixel down-right
    (reflect-padded); 6 passes per image. Compiled with ``model``'s loss and
    accuracy.
    """
    import tensorflow as tf

    mode = config.training.test_time_augmentation
    if mode == "none":
        return model
    strategy = model.distribute_strategy
    with strategy.scope():
        inputs = keras.Input(model.input_shape[1:])
        logits = _flip_average(model, inputs)
        if mode == "flip_translate":
            height, width = model.input_shape[1:3]
            padded = keras.ops.pad(inputs, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="reflect")
            up_left = padded[:, :height, :width, :]
            down_right = padded[:, 2:, 2:, :]
            shifted = keras.layers.Average(dtype="float32")(
                [_flip_average(model, up_left), _flip_average(model, down_right)]
            )
            logits = keras.layers.Average(dtype="float32", name="translate_average")([logits, shifted])
        wrapped = keras.Model(inputs, logits, name=f"{model.name}_{mode}_tta")
        wrapped.compile(loss=model.loss, metrics=["accuracy"])
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        multi_worker.adapt_model(wrapped, strategy)
    return wrapped


def _flip_average(model, images):
    """The mean of ``model``'s logits on ``images`` and on their horizontal mirrors."""
    mirrored = keras.ops.flip(images, axis=2)  # channels last: axis 2 is the width
    return keras.layers.Average(dtype="float32")([model(images), model(mirrored)])


def _test_predictions(model, test, one_hot):
    """``(labels, probabilities)`` of the test set; the models output logits."""
    labels, probabilities = [], []
    for x, y in test:
        logits = keras.ops.convert_to_numpy(model(x, training=False)).astype("float64")
        logits -= logits.max(axis=-1, keepdims=True)
        exp = np.exp(logits)
        probabilities.append(exp / exp.sum(axis=-1, keepdims=True))
        y = np.asarray(y)
        labels.append(np.argmax(y, axis=-1) if one_hot else y)
    return np.concatenate(labels).astype("int64"), np.concatenate(probabilities)


def prediction_scores(probabilities, labels):
    """Accuracy, NLL, Brier score and ECE of predicted probabilities (what ensembles and MC runs report)."""
    return {"accuracy": float(np.mean(np.argmax(probabilities, axis=-1) == labels)),
            **calibration_metrics(probabilities, labels)}  # fmt: skip


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


def _snapshot_ensemble(model, config, prepared, folder, epochs):
    """Scores each saved snapshot and the mean of their probabilities; leaves the model's weights as they were."""
    final = model.get_weights()
    members, total, labels = [], None, None
    for epoch in epochs:
        path = SnapshotSaver.path(folder, epoch)
        if not os.path.isfile(path):  # stopped early, before this cycle ended
            continue
        with np.load(path) as data:
            model.set_weights([data[f"arr_{i}"] for i in range(len(data.files))])
        labels, probabilities = _test_predictions(evaluation_model(model, config), prepared.test, prepared.one_hot)
        total = probabilities if total is None else total + probabilities
        members.append({"epoch": epoch, **prediction_scores(probabilities, labels)})
    model.set_weights(final)
    if not members:
        return None
    return {"epochs": [m["epoch"] for m in members], "members": members,
            "ensemble": prediction_scores(total / len(members), labels)}  # fmt: skip


def calibration_metrics(probabilities, labels):
    """Test NLL, Brier score and 15-bin ECE (`kerasreg.uncertainty`) of predicted probabilities."""
    from kerasreg.uncertainty import brier_score, expected_calibration_error, negative_log_likelihood

    return {
        "nll": float(negative_log_likelihood(probabilities, labels)),
        "brier": float(brier_score(probabilities, labels)),
        "ece": float(expected_calibration_error(probabilities, labels, num_bins=15)),
    }


def train(config, recipe, *, resume_dir=None, run_dir=None, hparams=None, log=print, callbacks=()):
    """Runs one experiment; returns ``(run_dir, results)``.

    Everything that can fail on bad input fails before the run directory is
    created; a run that fails later removes its directory unless it already
    holds a checkpoint worth resuming. With ``resume_dir`` (a run directory
    holding ``config.json``, whose config this is), training continues from
    that run's last checkpoint (`kerasreg.recipes.checkpoint`) and ends as
    the uninterrupted run would have. ``run_dir`` names the (new, or
    empty) directory of a fresh run instead of one under
    ``logging.logdir``. ``hparams`` (flat ``{name: value}``) replaces the
    flattened config as the run's TensorBoard HParams. ``callbacks`` are
    appended to the engine's own (after the checkpoint).
    """
    from kerasreg.callbacks import Lookahead, StochasticWeightAveraging
    from kerasreg.reporting import RunLogger, confusion_matrix

    folder = checkpoint.folder_of(resume_dir) if resume_dir else None
    state = (checkpoint.load_state(folder) if resume_dir else None) or {}
    done = state.get("epoch", 0)
    finished = state.get("stopped", False) or done >= config.training.epochs
    prepared = prepare(config, recipe, first_epoch=0 if finished else done)
    snapshots = snapshot_epochs(config)
    model = prepared.model
    best_weights = checkpoint.restore(model, folder, state) if state else None
    if not prepared.chief:
        # Only the chief (worker 0) writes the run; the others checkpoint to scratch.
        run_dir = tempfile.mkdtemp(prefix=f"kerasreg-worker{prepared.workers[1]}-")
        folder = checkpoint.folder_of(run_dir)
        log(f"worker {prepared.workers[1]} of {prepared.workers[0]}: worker 0 writes the run")
    elif resume_dir:
        run_dir = resume_dir
        log(f"resuming run: {run_dir} (after epoch {done} of {config.training.epochs})")
    else:
        if run_dir is not None:
            os.makedirs(run_dir, exist_ok=True)
            if os.listdir(run_dir):
                raise ConfigError(f"run directory {run_dir} is not empty")
        else:
            run_dir = create_run_dir(config.logging.logdir, recipe.name, config)
        log(f"run directory: {run_dir}")
        write_json_atomic(os.path.join(run_dir, "config.json"), to_dict(config))
        folder = checkpoint.folder_of(run_dir)
    log(f"TensorBoard:   tensorboard --logdir {config.logging.logdir}")
    timer = TimeAndNaN(state.get("train_seconds", 0.0))
    extra_callbacks, callbacks = list(callbacks), [timer]
    if config.training.lookahead_steps:
        callbacks.append(Lookahead(config.training.lookahead_steps, prepared.steps_per_epoch * config.training.epochs,
                                   config.training.lookahead_decay, config.training.lookahead_power))  # fmt: skip
    logger = None
    if config.logging.tensorboard and prepared.chief:
        callbacks.append(keras.callbacks.TensorBoard(run_dir, write_graph=False, update_freq="epoch"))
        logger = RunLogger(run_dir, prepared.schedule, prepared.steps_per_epoch,
                           prepared.steps_per_epoch * config.training.epochs,
                           to_dict(config) if hparams is None else hparams, flat=hparams is not None)  # fmt: skip
        callbacks.append(logger)
    stopping = None
    if config.training.early_stopping_patience:
        stopping = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=config.training.early_stopping_patience, restore_best_weights=True)
        callbacks.append(stopping)
    swa = None
    if config.training.swa_epochs:
        swa = StochasticWeightAveraging(config.training.epochs - config.training.swa_epochs,
                                        batch_norm_data=prepared.batch_norm_data)  # fmt: skip
        if state.get("swa"):
            swa.set_state(checkpoint.load_swa_state(os.path.join(folder, state["swa"])))
        callbacks.append(swa)  # before the checkpoint: it saves the epoch's average
    if snapshots:
        callbacks.append(SnapshotSaver(folder, snapshots))  # before the checkpoint that says the epoch is done
    saver = checkpoint.RunCheckpoint(folder, stopping, resumed=state, best_weights=best_weights,
                                     extra_state=lambda: {"train_seconds": timer.seconds}, swa=swa)  # fmt: skip
    callbacks.append(saver)  # after early stopping: it saves that epoch's decision
    callbacks.extend(extra_callbacks)
    if finished:
        # Killed after the last checkpoint but before the results: nothing left to train.
        if best_weights is not None:
            model.set_weights(best_weights)
        if swa is not None:  # what fit's end would have done: the average, then batch-norm statistics
            swa.set_model(model)
            swa.on_train_end()
    else:
        try:
            model.fit(prepared.train, validation_data=prepared.validation, epochs=config.training.epochs,
                      initial_epoch=done, steps_per_epoch=prepared.steps_per_epoch, callbacks=callbacks,
                      verbose=2, shuffle=False)
        except BaseException as error:
            kept = checkpoint.load_state(folder) is not None
            if not prepared.chief or (not resume_dir and not kept):
                shutil.rmtree(run_dir, ignore_errors=True)
            if isinstance(error, FloatingPointError):
                where = f"the last good checkpoint is kept in {folder}" if kept else "no epoch had finished, nothing was kept"
                raise FloatingPointError(f"{error}; {where} (try a lower learning rate)") from None
            raise
    history = saver.history

    evaluated = evaluation_model(model, config)
    test_metrics = evaluated.evaluate(prepared.test, verbose=0, return_dict=True)
    labels, probabilities = _test_predictions(evaluated, prepared.test, prepared.one_hot)
    predicted = np.argmax(probabilities, axis=-1)
    test_metrics.update(calibration_metrics(probabilities, labels))
    # The checkpoint's history spans the epochs before a resume too.
    epochs_run = len(history.get("loss", []))
    last = {k: v[-1] for k, v in history.items() if v}
    images = prepared.num_train * (epochs_run - done)
    results = {
        "recipe": recipe.name,
        "run_dir": run_dir,
        "seed": config.training.seed,
        "config": to_dict(config),
        "versions": versions(),
        # Wall times and bfloat16 numerics depend on it: runs of one comparison may span machines.
        "machine": machine(),
        "data": {"source": prepared.dataset.source, "train": prepared.num_train,
                 "validation": prepared.num_validation, "test": int(len(labels)),
                 "classes": list(prepared.dataset.class_names)},
        "epochs_run": epochs_run,
        "train": {k: v for k, v in last.items() if not k.startswith("val_") and k != "learning_rate"},
        "validation": {k[4:]: v for k, v in last.items() if k.startswith("val_")},
        "best_validation_accuracy": float(max(history.get("val_accuracy", [float("nan")]))),
        "test": {k: float(v) for k, v in test_metrics.items()},
        "wall_time_seconds": timer.seconds,
        # Of this process's epochs: a resumed run's earlier epochs ran elsewhere.
        "images_per_second": images / (timer.seconds - state.get("train_seconds", 0.0)) if images else None,
        "parameters": int(model.count_params()),
    }
    if snapshots:
        results["snapshot_ensemble"] = _snapshot_ensemble(model, config, prepared, folder, snapshots)
    if swa is not None:
        results["swa"] = {"start_epoch": swa.start_epoch, "snapshots": swa.snapshots_averaged,
                          "learning_rate": config.training.swa_learning_rate or None}  # fmt: skip
    if prepared.workers is not None:
        # Replicas the strategy synchronized: one per worker on CPUs.
        results["workers"] = prepared.workers[0]
        results["replicas_in_sync"] = int(model.distribute_strategy.num_replicas_in_sync)
    if not prepared.chief:
        shutil.rmtree(run_dir, ignore_errors=True)
        results["run_dir"] = None
        return None, results
    if logger is not None:
        logger.log_final(
            {"test_accuracy": results["test"].get("accuracy", float("nan")), "test_loss": results["test"]["loss"],
             "val_accuracy": results["validation"].get("accuracy", float("nan")),
             "test_nll": results["test"]["nll"], "test_ece": results["test"]["ece"]},
            confusion_matrix(labels, predicted, prepared.dataset.num_classes), prepared.dataset.class_names,
        )
        logger.close()
    model.save(os.path.join(run_dir, "model.keras"))
    write_json_atomic(os.path.join(run_dir, "results.json"), results)
    return run_dir, results


def train_into(run_dir, config, recipe, *, hparams=None, log=print):
    """Trains ``config`` into ``run_dir``, or finishes it there; returns ``(run_dir, results)``.

    For callers that run many runs in one process (comparisons, ensembles):
    a run with a checkpoint resumes from it, one interrupted before its
    first checkpoint starts afresh. The Keras session is cleared before and
    the run's traced graphs are released after (`graph_memory`).
    """
    resume = checkpoint.load_state(checkpoint.folder_of(run_dir)) is not None
    if not resume:
        shutil.rmtree(run_dir, ignore_errors=True)
    log(f"{'resuming' if resume else 'training'}: {run_dir}")
    keras.backend.clear_session()
    with forget_custom_gradients():
        return train(config, recipe, resume_dir=run_dir if resume else None, run_dir=None if resume else run_dir,
                     hparams=hparams, log=log)  # fmt: skip


def summary_table(results):
    """The short table printed at the end of a run."""
    rows = [
        ("test accuracy", f"{results['test'].get('accuracy', float('nan')):.4f}"),
        ("test loss", f"{results['test']['loss']:.4f}"),
        ("test NLL / ECE", f"{results['test']['nll']:.4f} / {results['test']['ece']:.4f}" if "nll" in results["test"] else "-"),
        ("val accuracy (last / best)", f"{results['validation'].get('accuracy', float('nan')):.4f} / {results['best_validation_accuracy']:.4f}"),
        ("train accuracy", f"{results['train'].get('accuracy', float('nan')):.4f}"),
        ("epochs", str(results["epochs_run"])),
        ("wall time", f"{results['wall_time_seconds']:.1f} s"),
        ("images/s", f"{results['images_per_second']:.0f}" if results["images_per_second"] else "-"),
        ("parameters", f"{results['parameters']:,}"),
    ]
    snapshot = results.get("snapshot_ensemble")
    if snapshot:
        rows.insert(2, (f"snapshot ensemble of {len(snapshot['epochs'])}",
                        f"{snapshot['ensemble']['accuracy']:.4f} (NLL {snapshot['ensemble']['nll']:.4f}, "
                        f"epochs {', '.join(map(str, snapshot['epochs']))})"))  # fmt: skip
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)
