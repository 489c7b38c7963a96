"""The sections of an experiment config, as dataclasses with their defaults.

The ``regularization`` section is `kerasreg.config.regularization.Regularization`
(re-exported by `kerasreg.architectures`, whose builders read it). ``optimizer`` and ``schedule``
are small tables handed to `create_optimizer` / `create_schedule`, which
validate their keys.
"""

import dataclasses
import math
import numbers
import sys
from dataclasses import dataclass, field

from kerasreg.config.regularization import Regularization
from kerasreg.validation import (
    check_bool,
    check_choice,
    check_finite_float,
    check_positive_int,
    check_seed,
    invalid_argument,
)

# "auto": mixed_bfloat16 on a CPU with native bfloat16, else none (`kerasreg.recipes.hardware`).
MIXED_PRECISION = ("none", "mixed_float16", "mixed_bfloat16", "auto")
TEST_TIME_AUGMENTATIONS = ("none", "flip", "flip_translate")
CALIBRATIONS = ("none", "temperature")


def _non_negative(name, value):
    value = check_finite_float(name, value)
    if value < 0:
        raise invalid_argument(name, "a float >= 0", value)
    return value


def _finite_number(value):
    return not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)


# The data sources known by name (`kerasreg.data.load_dataset`): the
# `keras.datasets` ones and the synthetic set; every other source is a path.
DATA_SOURCE_NAMES = ("cifar10", "fashion_mnist", "synthetic")


@dataclass
class DataConfig:
    """Where the data comes from and how it is split and (images only) augmented."""

    source: str = "cifar10"  # builtin name, "synthetic", or a path (see kerasreg.data)
    validation_size: float = 0.0  # examples (>= 1) or a fraction in (0, 1); 0 = the default rule
    train_subset: int = 0  # use only this many training examples (0 = all)
    augment: list = field(default_factory=lambda: ["flip", "translate"])
    translate_pixels: int = 4
    erasing_rate: float = 0.0
    mixup_alpha: float = 0.0
    cutmix_alpha: float = 0.0
    synthetic_examples: int = 512
    cache_dir: str = ""  # "" = ~/.cache/kerasreg (or $KERASREG_CACHE)
    known_classes: list = field(default_factory=list)  # open-set split: classes trained on, the rest is OOD; [] = all
    # Progressive resizing (images): the first progressive_epochs epochs train
    # on the augmented images downscaled to progressive_size x progressive_size;
    # the later ones, validation and test see the full size. 0 and 0 = off.
    progressive_size: int = 0
    progressive_epochs: int = 0

    def __post_init__(self):
        if not isinstance(self.source, str) or not self.source:
            raise invalid_argument("data.source", "a dataset name or a path", self.source)
        size = check_finite_float("data.validation_size", self.validation_size)
        if size < 0 or (size >= 1 and size != int(size)):
            raise invalid_argument("data.validation_size", "0, a fraction in (0, 1) or a whole number of examples", self.validation_size)
        if self.train_subset != 0:
            check_positive_int("data.train_subset", self.train_subset)
        check_positive_int("data.translate_pixels", self.translate_pixels)
        check_positive_int("data.synthetic_examples", self.synthetic_examples)
        for name in ("erasing_rate", "mixup_alpha", "cutmix_alpha"):
            _non_negative(f"data.{name}", getattr(self, name))
        for name in ("progressive_size", "progressive_epochs"):
            if getattr(self, name) != 0:
                check_positive_int(f"data.{name}", getattr(self, name))
        if (self.progressive_size == 0) != (self.progressive_epochs == 0):
            name, other = ("progressive_size", "progressive_epochs")[:: 1 if self.progressive_size else -1]
            raise invalid_argument(f"data.{name}", f"0 while data.{other} is 0 (alone it has no effect: set both for "
                                   "progressive resizing, or neither)", getattr(self, name))  # fmt: skip
        # Plain ints only: config.json must hold them. The range needs the data (checked when it is loaded).
        known = self.known_classes
        if not isinstance(known, list) or any(type(c) is not int or c < 0 for c in known):
            raise invalid_argument("data.known_classes", "a list of class indices (integers >= 0), [] for all classes",
                                   known)  # fmt: skip
        if len(set(known)) != len(known):
            raise invalid_argument("data.known_classes", "distinct class indices", known)
        if len(known) == 1:
            raise invalid_argument("data.known_classes", "at least 2 class indices, [] for all classes", known)


# The builders `kerasreg.architectures` registers itself, and the activations
# they take. Plain names here: a config is checked before Keras is loaded.
BUILTIN_MODELS = ("airbench", "cnn", "fast", "resnet")
ACTIVATIONS = ("elu", "gelu", "relu", "silu")


def registered_models():
    """The model names ``model.name`` takes: the built-in ones, and any a user registered.

    A model can only have been registered (`register_model`) once the
    registry is loaded; until then the built-in names are all there are.
    """
    registry = sys.modules.get("kerasreg.architectures.registry")
    return tuple(registry.model_names()) if registry is not None else BUILTIN_MODELS


@dataclass
class ModelConfig:
    """Which builder of `kerasreg.architectures`, and its size (0 = the builder's default)."""

    name: str = "cnn"
    width: int = 0
    depth: int = 0
    activation: str = ""  # "" = the builder's own (ReLU; GELU for "fast" and "airbench")
    # The first block's width apart from the others' ("airbench": 0 = width).
    first_width: int = 0
    # Set the stem to patch whitening of the training images and freeze it
    # (`kerasreg.architectures.whiten_stem`; "airbench" only).
    whitening: bool = False
    # Start each conv's first min(in, out) filters as the identity
    # (`kerasreg.architectures.identity_initialize`, airbench's dirac init).
    identity_init: bool = False

    def __post_init__(self):
        check_choice("model.name", self.name, registered_models())
        check_bool("model.whitening", self.whitening)
        check_bool("model.identity_init", self.identity_init)
        if self.activation:
            check_choice("model.activation", self.activation, ACTIVATIONS)
        for name in ("width", "depth", "first_width"):
            if getattr(self, name) != 0:
                check_positive_int(f"model.{name}", getattr(self, name))


@dataclass
class TrainingConfig:
    """How long and how: epochs, batch size, seed, precision, stopping."""

    epochs: int = 30
    batch_size: int = 128
    seed: int = 0
    label_smoothing: float = 0.0
    early_stopping_patience: int = 0  # epochs without val improvement; 0 = off
    mixed_precision: str = "none"
    jit_compile: bool = False  # off by default: 3.5x slower on CPU when measured
    # Test-time augmentation of the final test evaluation: "flip" averages the
    # logits of each image and its mirror image (validation stays plain).
    test_time_augmentation: str = "none"
    # Post-hoc calibration of the saved inference model: "temperature" divides
    # its logits by the temperature fitted on the validation split (every
    # classification run reports the test ECE before and after it either way).
    calibration: str = "none"
    # Stochastic weight averaging (Izmailov et al. 2018): average the weights
    # at the end of each of the last swa_epochs epochs, then re-estimate the
    # batch-norm statistics on the training images. 0 = off.
    swa_epochs: int = 0
    # Constant learning rate over those epochs; 0 = keep the schedule's.
    swa_learning_rate: float = 0.0
    # Snapshot ensemble (Huang et al. 2017): also score the mean prediction
    # of the weights at the end of the last N cosine_restarts cycles. 0 = off.
    snapshot_ensemble: int = 0
    # Lookahead (`kerasreg.callbacks.Lookahead`): every lookahead_steps steps
    # the slow weights take rho = lookahead_decay * (step / steps) **
    # lookahead_power of themselves and the rest from the model's, which
    # restarts from them. 0 = off; airbench94: 5, 0.95 ** 5, 3.
    lookahead_steps: int = 0
    lookahead_decay: float = 0.95**5
    lookahead_power: float = 3.0
    # Values of the run's objective (val_accuracy as a fraction, val_loss, ...)
    # whose first crossing each run records: epoch and training seconds
    # (results["time_to_target"]). [] = none. Fractions in (0, 1] for
    # accuracy-like objectives, checked when the run knows its objective.
    targets: list = field(default_factory=list)

    def __post_init__(self):
        check_positive_int("training.epochs", self.epochs)
        check_positive_int("training.batch_size", self.batch_size)
        check_seed(self.seed)
        smoothing = check_finite_float("training.label_smoothing", self.label_smoothing)
        if not 0 <= smoothing < 1:
            raise invalid_argument("training.label_smoothing", "a float in [0, 1)", self.label_smoothing)
        if self.early_stopping_patience != 0:
            check_positive_int("training.early_stopping_patience", self.early_stopping_patience)
        check_choice("training.mixed_precision", self.mixed_precision, MIXED_PRECISION)
        check_bool("training.jit_compile", self.jit_compile)
        check_choice("training.test_time_augmentation", self.test_time_augmentation, TEST_TIME_AUGMENTATIONS)
        check_choice("training.calibration", self.calibration, CALIBRATIONS)
        if self.swa_epochs != 0:
            check_positive_int("training.swa_epochs", self.swa_epochs)
            if self.swa_epochs > self.epochs:
                raise invalid_argument("training.swa_epochs", f"an integer in [0, training.epochs={self.epochs}]",
                                       self.swa_epochs)  # fmt: skip
            if self.early_stopping_patience:
                raise invalid_argument(
                    "training.swa_epochs", "0 with early stopping on (it restores the best epoch's weights, "
                    "SWA replaces them by an average)", self.swa_epochs)  # fmt: skip
        if self.snapshot_ensemble != 0:
            check_positive_int("training.snapshot_ensemble", self.snapshot_ensemble)
        if self.lookahead_steps != 0:
            check_positive_int("training.lookahead_steps", self.lookahead_steps)
        decay = check_finite_float("training.lookahead_decay", self.lookahead_decay)
        if not 0 <= decay <= 1:
            raise invalid_argument("training.lookahead_decay", "a float in [0, 1]", self.lookahead_decay)
        if check_finite_float("training.lookahead_power", self.lookahead_power) < 0:
            raise invalid_argument("training.lookahead_power", "a float >= 0", self.lookahead_power)
        # The message names the whole list: a bad entry is easier to find in it than alone.
        if not isinstance(self.targets, list) or not all(map(_finite_number, self.targets)):
            raise invalid_argument("training.targets", "a list of finite numbers, [] for none", self.targets)
        if len(set(self.targets)) != len(self.targets):
            raise invalid_argument("training.targets", "distinct numbers", self.targets)
        rate = check_finite_float("training.swa_learning_rate", self.swa_learning_rate)
        if rate < 0:
            raise invalid_argument("training.swa_learning_rate", "a float >= 0 (0 keeps the schedule)",
                                   self.swa_learning_rate)  # fmt: skip


@dataclass
class LoggingConfig:
    """Where runs go and what TensorBoard gets."""

    logdir: str = "logs"
    run_name: str = ""  # "" = time + short config tag
    tensorboard: bool = True

    def __post_init__(self):
        if not isinstance(self.logdir, str) or not self.logdir:
            raise invalid_argument("logging.logdir", "a folder path", self.logdir)
        if not isinstance(self.run_name, str) or "/" in self.run_name:
            raise invalid_argument("logging.run_name", "a name without '/'", self.run_name)
        check_bool("logging.tensorboard", self.tensorboard)


@dataclass
class ExperimentConfig:
    """One experiment: every section, fully resolved."""

    recipe: str = ""
    data: DataConfig = field(default_factory=DataConfig)
    # A `ModelConfig` for the registry's models; a dict of the builder's
    # keyword arguments for a user's model (`kerasreg.engine.model_source`).
    model: ModelConfig = field(default_factory=ModelConfig)
    regularization: Regularization = field(default_factory=Regularization)
    optimizer: dict = field(default_factory=lambda: {"name": "sgd", "momentum": 0.9, "nesterov": True})
    schedule: dict = field(default_factory=lambda: {"name": "warmup_cosine", "learning_rate": 0.1, "warmup_epochs": 2})
    training: TrainingConfig = field(default_factory=TrainingConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)


SECTIONS = {f.name: f for f in dataclasses.fields(ExperimentConfig)}
