"""`prepare`: a resolved config and a `Task` -> data pipelines and a compiled model.

Building everything validates the whole config, so a run fails here,
before its directory is written.
"""

import contextlib
import dataclasses
import functools
import math
import os

import keras
import numpy as np

from kerasreg.architectures import identity_initialize, whiten_stem
from kerasreg.config import ConfigError
from kerasreg.data import default_validation_size, make_dataset, open_set_split, split_validation
from kerasreg.engine import multi_worker
from kerasreg.engine.hardware import resolve_auto_precision
from kerasreg.engine.losses import Outputs, as_objective, default_loss, loss_name, make_loss, make_metrics, \
    metric_names, read_outputs  # fmt: skip
from kerasreg.engine.noops import check_image_options, check_no_silent_noops
from kerasreg.engine.snapshots import snapshot_epochs
from kerasreg.schedules import Constant, Join, create_optimizer, create_schedule, with_run_length

# Training images the whitening stem is estimated from (airbench uses 5,000).
WHITENING_IMAGES = 5000


@dataclasses.dataclass
class Prepared:
    """Everything built before the first step."""

    config: object
    dataset: object
    train: object
    validation: object
    test: object  # None when the data has no test split
    num_train: int
    num_validation: int
    steps_per_epoch: int
    model: keras.Model
    schedule: object
    one_hot: bool
    workers: tuple = None  # (num_workers, task_index) under TF_CONFIG
    # Training examples, plain (no augmentation), one pass: SWA's batch-norm re-estimation.
    batch_norm_data: object = None
    outputs: Outputs = None
    objective: object = None
    metrics: tuple = ("accuracy",)  # the metrics as the task names them (names or metric objects)
    loss_spec: object = "sparse_categorical_crossentropy"  # the loss as the task names it
    # With data.known_classes: x of the test examples of the left-out classes (as stored, uint8 images unscaled)
    # and those classes' names; None otherwise.
    ood_test: object = None
    ood_class_names: tuple = None

    @property
    def chief(self):
        """Whether this process writes the run (always, unless it is a non-chief worker)."""
        return self.workers is None or self.workers[1] == 0

    def fresh_metrics(self):
        """New metric objects like the model's (for evaluation models compiled beside it)."""
        return make_metrics(self.metrics, self.outputs, one_hot=self.one_hot, loss=self.loss_spec)


def distribution_strategy():
    """``(strategy, workers)``: the `tf.distribute` strategy to train under.

    - ``TF_CONFIG`` set: `MultiWorkerMirroredStrategy`, and ``workers`` is
      ``(num_workers, task_index)`` (`kerasreg.engine.multi_worker`).
    - Several GPUs, or no GPU and a CPU split into several logical devices
      (`tf.config.set_logical_device_configuration`, before TensorFlow
      starts): `MirroredStrategy` over them, one replica each. The devices
      are logical, so one GPU split the same way counts as several.
    - Otherwise ``None``, the default strategy (one device).
    """
    import tensorflow as tf

    workers = multi_worker.cluster()
    if workers is not None:
        return multi_worker.strategy(), workers
    # The devices `MirroredStrategy()` itself mirrors over: the GPUs, else the
    # CPU's logical devices (one unless the user split it).
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    if len(devices) > 1:
        return _mirrored_strategy(tuple(device.name for device in devices)), None
    return None, None


@functools.cache
def _mirrored_strategy(devices):
    # One per process, shared by its runs: each new strategy numbers its
    # all-reduces from the same collective keys, so the second run of a
    # comparison or search would meet the first one's under those keys and
    # fail ("Shape mismatch in the collective instance", tensorflow/tensorflow#62790).
    import tensorflow as tf

    return tf.distribute.MirroredStrategy(list(devices))


def _labels_one_hot(dataset, num_classes):
    import tensorflow as tf

    return dataset.map(lambda x, y: (x, tf.one_hot(tf.cast(y, "int32"), num_classes)))


def _optimizer_config(config):
    reg = config.regularization
    # "l2" decay is already in the model as kernel regularizers.
    return {**config.optimizer, "weight_decay_mode": reg.weight_decay_mode, "weight_decay": reg.decoupled_weight_decay}


def _with_swa_rate(schedule, training, steps_per_epoch):
    """The schedule, switched to ``swa_learning_rate`` for the SWA epochs when one is set."""
    if not training.swa_epochs or not training.swa_learning_rate:
        return schedule
    start = (training.epochs - training.swa_epochs) * steps_per_epoch
    if start == 0:
        return Constant(training.swa_learning_rate)
    return Join([schedule, Constant(training.swa_learning_rate)], boundaries=[start])


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


def _open_set(config, dataset):
    """``(dataset, ood_test, ood_class_names)``: the known classes of ``data.known_classes`` and the others' test x."""
    known = config.data.known_classes
    try:
        split, ood_test = open_set_split(dataset, known)
    except ValueError as error:
        # The range needs the data: checked here, named as the config key.
        raise ConfigError(str(error).splitlines()[0].replace("known_classes", "data.known_classes")) from None
    others = tuple(name for index, name in enumerate(dataset.class_names) if index not in known)
    return split, ood_test, others


def _pipelines(config, dataset, x_train, y_train, x_val, y_val, first_epoch):
    data = config.data
    mixing = data.mixup_alpha > 0 or data.cutmix_alpha > 0
    common = dict(batch_size=config.training.batch_size, seed=config.training.seed,
                  num_classes=dataset.num_classes if mixing else None)  # fmt: skip
    image = dataset.is_image
    _check_progressive(config, dataset)
    try:
        train = make_dataset(
            x_train, y_train, training=True, augment=tuple(data.augment) if image else (),
            translate_pixels=data.translate_pixels, erasing_rate=data.erasing_rate, mixup_alpha=data.mixup_alpha,
            cutmix_alpha=data.cutmix_alpha, epochs=config.training.epochs, first_epoch=first_epoch,
            progressive_size=data.progressive_size, progressive_epochs=data.progressive_epochs, **common,
        )  # fmt: skip
        validation = make_dataset(x_val, y_val, training=False, **common)
        plain = make_dataset(x_train, y_train, training=False, **common) if config.training.swa_epochs else None
        test = None
        if dataset.x_test is not None and len(dataset.x_test):
            test = make_dataset(dataset.x_test, dataset.y_test, training=False, **common)
    except ValueError as error:
        # The pipeline's own argument checks (augmentation names, mixing rates).
        raise ConfigError(str(error).splitlines()[0]) from None
    return train, validation, test, plain


def _check_progressive(config, dataset):
    """The bounds of progressive resizing that need the data and the run length, named as config keys."""
    data = config.data
    if not data.progressive_epochs or not dataset.is_image:  # off, or refused as an image-only option
        return
    if data.progressive_epochs >= config.training.epochs:
        raise ConfigError(f"data.progressive_epochs={data.progressive_epochs} must be less than training.epochs="
                          f"{config.training.epochs}, so that the last epochs train at the full size; lower it, or set "
                          "it and data.progressive_size to 0 to train at the full size throughout")  # fmt: skip
    height, width = dataset.input_shape[:2]
    if data.progressive_size >= min(height, width):
        raise ConfigError(f"data.progressive_size={data.progressive_size} must be less than the images' "
                          f"{height}x{width} (it downscales them)")  # fmt: skip


def check_any_image_size(model, config, task):
    """Progressive resizing feeds the model smaller images: it must take any height and width."""
    if not config.data.progressive_epochs:
        return
    shape = tuple(model.input_shape[1:3]) if len(model.input_shape) == 4 else None
    if shape != (None, None):
        raise ConfigError(f"data.progressive_size={config.data.progressive_size} feeds {task.describe_model(config)} "
                          f"smaller images, but it takes only inputs of shape {tuple(model.input_shape[1:])}; "
                          "build it on the input_shape it is given, (None, None, channels) under progressive resizing")  # fmt: skip


def _whiten(model, config, x_train):
    try:
        # Scaled as the pipeline scales them; the first images of a seeded split.
        whiten_stem(model, x_train[:WHITENING_IMAGES].astype("float32") / 255.0)
    except ValueError:
        raise ConfigError(
            "model.whitening=true needs a model whose stem is sized for patch whitening (model.name='airbench'). "
            f"Received: model.name={config.model.name!r}"
        ) from None


def model_inputs(x, dataset):
    """Raw examples of ``dataset`` as the evaluation pipeline hands them to the model (images scaled to [0, 1])."""
    if dataset.is_image:
        return x.astype("float32") / 255.0
    return x.astype("float32") if np.issubdtype(x.dtype, np.floating) else x


def _sample(x, dataset):
    return model_inputs(x[:8], dataset)


def _check_batch_size(config, num_train):
    batch = config.training.batch_size
    if batch > num_train:
        raise ConfigError(f"training.batch_size={batch} is larger than the training split ({num_train} examples); "
                          f"use at most {num_train}")  # fmt: skip


def _memory_bytes():
    """This machine's physical memory in bytes, or None where the OS does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def activation_bytes(model, batch_size, input_shape=None):
    """A lower bound of the memory one training step holds: every layer's output for ``batch_size`` examples, twice.

    The forward pass keeps each layer's output for the backward pass, which
    makes a gradient of the same size. Nested layers and workspace are not
    counted, so the true figure is higher. None when a layer's output shape
    is unknown (a subclassed model before it is called). ``input_shape``
    (one example's) sizes a model built for any image size: a copy of it
    is counted at that shape.
    """
    if input_shape is not None and isinstance(model.input_shape, tuple) and None in model.input_shape[1:]:
        try:
            model = keras.models.clone_model(model, input_tensors=keras.Input(tuple(input_shape)))
        except (TypeError, ValueError):
            return None
    values = 0
    for layer in model.layers:
        try:
            shapes = layer.output.shape if not isinstance(layer.output, (list, tuple)) else [o.shape for o in layer.output]
        except (AttributeError, ValueError):
            return None
        for shape in shapes if isinstance(shapes, list) else [shapes]:
            if any(d is None for d in shape[1:]):
                return None
            values += math.prod(shape[1:])
    itemsize = np.dtype(keras.config.dtype_policy().compute_dtype).itemsize
    return 2 * values * itemsize * batch_size


def _check_memory(model, config, input_shape):
    """A batch whose activations alone exceed this machine's memory: an error now, not a crash mid-epoch."""
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        return  # device memory: caught when allocation fails
    # The full size: a model built for any size (progressive resizing) trains its last epochs at it.
    needed, available = activation_bytes(model, config.training.batch_size, input_shape), _memory_bytes()
    if needed is None or available is None or needed <= available:
        return
    per_example = needed / config.training.batch_size
    fits = max(1, int(available / per_example))
    raise ConfigError(f"training.batch_size={config.training.batch_size} needs at least {needed / 2**30:.0f} GiB for "
                      f"activations, more than this machine's {available / 2**30:.0f} GiB; use at most about {fits}")  # fmt: skip


def _set_precision(config):
    # Always set: a policy left over from an earlier run in this process must not leak in.
    policy = config.training.mixed_precision
    keras.config.set_dtype_policy("float32" if policy == "none" else policy)


def prepare(config, task, first_epoch=0, check_noops=True):
    """Loads the data and builds model, schedule and optimizer; raises before anything is written.

    The training pipeline holds epochs ``first_epoch .. training.epochs - 1``
    (a resumed run starts past 0), each ``steps_per_epoch`` batches long.
    ``check_noops=False`` leaves out the no-op check of the model and
    regularization keys, for runs whose comparison or search checked them
    as a whole (a value shared by all variants need act in only some).
    """
    strategy, workers = distribution_strategy()
    keras.utils.set_random_seed(config.training.seed)
    resolve_auto_precision(config)  # for callers that did not resolve it
    _set_precision(config)
    dataset = task.load_data(config)
    ood_test, ood_class_names = None, None
    if config.data.known_classes:
        dataset, ood_test, ood_class_names = _open_set(config, dataset)
    check_image_options(config, dataset, task)
    if check_noops:
        check_no_silent_noops(task, config, dataset)
    snapshot_epochs(config)  # its schedule checks, before anything is written
    keras.utils.set_random_seed(config.training.seed)  # the checks built models: start the run's draws afresh
    x_train, y_train, x_val, y_val = training_arrays(config, dataset)
    _check_batch_size(config, len(x_train))
    train, validation, test, batch_norm_data = _pipelines(config, dataset, x_train, y_train, x_val, y_val,
                                                          first_epoch)  # fmt: skip
    steps_per_epoch = math.ceil(len(x_train) / config.training.batch_size)

    # Again: the no-op checks build models between `clear_session()` calls,
    # and `clear_session()` resets the policy to float32.
    _set_precision(config)
    # Variables (model, optimizer, metrics) live under the strategy's scope.
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model = task.build_model(config, dataset)
        check_any_image_size(model, config, task)
        _check_memory(model, config, dataset.input_shape if config.data.progressive_epochs else None)
        if task.registry:
            if config.model.identity_init:
                identity_initialize(model)
            if config.model.whitening:
                _whiten(model, config, x_train)
        units = int(model.output_shape[-1]) if model.output_shape[-1] else 1
        loss_spec = task.loss if task.loss is not None else default_loss(dataset.integer_labels, units)
        name = loss_name(loss_spec)
        # The registry's models return logits; a user's model is read.
        outputs = Outputs("softmax", logits=True) if task.registry else read_outputs(model, _sample(x_train, dataset), name)
        if config.training.calibration != "none" and outputs.kind == "values":
            raise ConfigError(f"training.calibration={config.training.calibration!r} rescales class probabilities; "
                              f"the model of {task.name!r} outputs values (regression): use 'none'")  # fmt: skip
        mixing = config.data.mixup_alpha > 0 or config.data.cutmix_alpha > 0
        smoothing = config.training.label_smoothing
        one_hot = mixing or (smoothing > 0 and name in ("sparse_categorical_crossentropy", "categorical_crossentropy"))
        metrics = task.metrics if task.metrics is not None else (["accuracy"] if outputs.kind != "values" else [])
        try:
            loss = make_loss(loss_spec, outputs, one_hot=one_hot, label_smoothing=smoothing,
                             model_name=task.describe_model(config))  # fmt: skip
            compiled_metrics = make_metrics(metrics, outputs, one_hot=one_hot, loss=loss_spec)
            schedule = create_schedule(with_run_length(config.schedule, config.training.epochs), steps_per_epoch)
            schedule = _with_swa_rate(schedule, config.training, steps_per_epoch)
            optimizer = create_optimizer(_optimizer_config(config), schedule)
        except ConfigError:
            raise
        except ValueError as error:
            raise ConfigError(str(error).splitlines()[0]) from None
        model.compile(optimizer=optimizer, loss=loss, metrics=compiled_metrics, jit_compile=config.training.jit_compile)
    objective = as_objective(task.objective, metric_names(metrics))
    if one_hot:
        # Mixing pipelines already give one-hot training labels.
        if not mixing:
            train = _labels_one_hot(train, dataset.num_classes)
        validation = _labels_one_hot(validation, dataset.num_classes)
        if test is not None:
            test = _labels_one_hot(test, dataset.num_classes)
    if workers is not None:
        train, validation = (multi_worker.shard_by_data(d) for d in (train, validation))
        if test is not None:
            test = multi_worker.shard_by_data(test)
        multi_worker.adapt_model(model, strategy)
    return Prepared(config, dataset, train, validation, test, len(x_train), len(x_val), steps_per_epoch, model,
                    schedule, one_hot, workers, batch_norm_data, outputs=outputs, objective=objective,
                    metrics=tuple(metrics), loss_spec=loss_spec, ood_test=ood_test,
                    ood_class_names=ood_class_names)  # fmt: skip
