"""`Task`: what an experiment trains — model, data, loss, metrics, objective — and its default config.

The engine runs a `Task` with a resolved `ExperimentConfig`; the public
`kerasreg.Experiment` is a `Task` with the verbs (train, compare, tune)
added on top. The recipes are `Task`s whose model comes from
`kerasreg.architectures` (``model.name``) and whose data comes from
``data.source``; a user's task brings its own builder and arrays.
"""

import copy

from kerasreg.config import ConfigError, ExperimentConfig, with_values
from kerasreg.config.regularization import Regularization
from kerasreg.engine.model_source import RegistryModel, as_model_source

# The data pipeline and the losses (TensorFlow, Keras) are imported where
# they are used: a command line builds its task and resolves its config
# before loading TensorFlow.

# The smoke preset of tasks on registry models: synthetic images shaped
# like the task's data, a tiny net and a short, gentle schedule, so the
# whole engine runs end to end in seconds (what the tests use).
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


def plain_defaults(name):
    """The defaults for a user's own model or data: nothing switched on that the user did not ask for.

    No augmentation, no weight decay, no dropout rate, no label smoothing,
    no test-time augmentation; Adam at a constant 1e-3 for 10 epochs of
    batch 32.
    """
    config = ExperimentConfig(recipe=name)
    config.data.augment = []
    config.regularization = Regularization(dropout_rate=0.0, weight_decay=0.0)
    config.optimizer = {"name": "adam"}
    config.schedule = {"name": "constant", "learning_rate": 1e-3}
    config.training.epochs = 10
    config.training.batch_size = 32
    return config


class Task:
    """What an experiment trains; see `kerasreg.Experiment` for the arguments."""

    def __init__(self, model=None, data=None, *, name="experiment", loss=None, metrics=None, objective=None,
                 config=None, presets=None, logdir=None, description=None, builtin_data="cifar10",
                 synthetic_shape=(32, 32, 3), reference=None):  # fmt: skip
        if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
            raise ConfigError(f"name must be a non-empty string without '/'; got {name!r}")
        self.name = name
        self.model_source = as_model_source(model)
        self._model_name = model if isinstance(model, str) else None
        self.registry = isinstance(self.model_source, RegistryModel)
        self._data = data
        self._loaded = None
        self.fixed_data = data is not None and not isinstance(data, str)
        self.loss = loss
        self.metrics = list(metrics) if metrics is not None else None
        self.objective = objective
        self._config = config
        self.logdir = logdir
        self.description = description or f"Train and compare regularizers on {name}."
        self.builtin_data = builtin_data
        self.synthetic_shape = tuple(synthetic_shape)
        self.reference = reference
        presets = dict(presets or {})
        if self.registry and not self.fixed_data:
            presets = {"smoke": dict(SMOKE_PRESET), **presets}
        self.presets = presets
        if self.metrics is None:
            self._metric_names = None
        else:
            from kerasreg.engine.losses import as_objective, metric_names

            self._metric_names = metric_names(self.metrics)
            if objective is not None:
                as_objective(objective, self._metric_names)  # fail now, not at the first run

    # Config.

    def default_config(self):
        """The task's default `ExperimentConfig` (before presets, files and overrides)."""
        base = self._config
        if callable(base) and not isinstance(base, dict):
            base = base()
        if isinstance(base, ExperimentConfig):
            config = copy.deepcopy(base)
        else:
            # Recipe defaults (CIFAR-style augmentation, weight decay) only for
            # registry models on their own data; a user's model or data starts plain.
            plain = not (self.registry and self._data is None)
            config = plain_defaults(self.name) if plain else ExperimentConfig(recipe=self.name)
            config.model = self.model_source.model_defaults()
            if self._model_name is not None:
                config.model.name = self._model_name
            if self.fixed_data:
                config.data.source = self.data_label()
            elif isinstance(self._data, str):
                config.data.source = self._data
            if isinstance(base, dict):
                config = with_values(config, base, origin=f"the config of experiment {self.name!r}")
        config.recipe = self.name
        if self.logdir is not None:
            config.logging.logdir = str(self.logdir)
        return config

    def data_label(self):
        """What ``data.source`` records for data handed over as objects."""
        from kerasreg.data import ArrayData, Dataset

        data = self._data
        if isinstance(data, (ArrayData, Dataset)):
            return data.source
        if callable(data):
            return f"{getattr(data, '__name__', 'data')}()"
        return "arrays"

    # Data.

    def load_data(self, config):
        """The run's data set (`ArrayData` or `Dataset`), from the task's own data or ``config.data.source``."""
        if self.fixed_data:
            if config.data.source != self.data_label():
                raise ConfigError(f"experiment {self.name!r} brings its own data ({self.data_label()}); "
                                  f"data.source cannot change it (got {config.data.source!r})")  # fmt: skip
            if self._loaded is None:
                self._loaded = as_data(self._data() if callable(self._data) else self._data, self.data_label())
            return self._loaded
        from kerasreg.data import load_dataset

        data = config.data
        return load_dataset(
            data.source,
            cache_dir=data.cache_dir or None,
            builtin=self.builtin_data,
            synthetic_examples=data.synthetic_examples,
            synthetic_shape=self.synthetic_shape,
            # The synthetic set is one fixed dataset, like a real one: the run's
            # seed varies the split, initialisation and batches, not the test set
            # (runs of different seeds must be comparable and ensemble-able).
            seed=0,
        )

    def objective_for(self, config):
        """The run's `Objective` (what `prepare` will select by), known before any model is built."""
        from kerasreg.engine.losses import CLASSIFICATION_LOSSES, as_objective, loss_name

        if self._metric_names is not None:
            return as_objective(self.objective, self._metric_names)
        classification = self.registry
        if not classification:
            if self.loss is not None:
                classification = loss_name(self.loss) in CLASSIFICATION_LOSSES
            else:
                classification = self.load_data(config).integer_labels
        return as_objective(self.objective, ["accuracy"] if classification else [])

    # Model.

    def describe_model(self, config):
        return self.model_source.describe(config)

    def build_model(self, config, data):
        """The run's uncompiled model for ``config`` and ``data``; bad builder arguments become `ConfigError`."""
        input_shape = data.input_shape
        if config.data.progressive_epochs and data.is_image:
            # Progressive resizing trains on smaller images first: any height and width.
            input_shape = (None, None, input_shape[-1])
        try:
            return self.model_source.build(config, input_shape=input_shape, num_classes=data.num_classes)
        except ConfigError:
            raise
        except ValueError as error:
            raise ConfigError(str(error).splitlines()[0]) from None


def as_data(data, label):
    """`ArrayData`/`Dataset` from what a user passed as ``data``."""
    from kerasreg.data import ArrayData, Dataset, from_tf_datasets

    if isinstance(data, (ArrayData, Dataset)):
        return data
    if isinstance(data, dict):
        return ArrayData(**data, source=label)
    if isinstance(data, (tuple, list)):
        import tensorflow as tf

        if data and all(isinstance(d, tf.data.Dataset) for d in data) and len(data) in (1, 2):
            return from_tf_datasets(*data, source="tf.data")
        if len(data) in (2, 4):
            return ArrayData(*data, source=label)
    raise ConfigError("data must be (x_train, y_train, x_test, y_test) arrays, (x_train, y_train), "
                      "(train, test) tf.data.Datasets, a kerasreg.data.ArrayData, a data-source string, "
                      f"or a function returning one of these; got {type(data).__name__}")  # fmt: skip
