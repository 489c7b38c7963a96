"""`ModelSource`: what a user hands over as "the model", and how each run builds it.

Four forms are accepted (`as_model_source`):

- ``None`` or a registered name: a `kerasreg.architectures` builder, chosen
  by ``model.name`` (the recipes' models; the ``model`` section is
  `kerasreg.config.ModelConfig`).
- A builder function. Its keyword arguments with defaults are the
  ``model`` section (``def build(hidden=64, layers=2, *, input_shape,
  regularization)`` gives ``model.hidden`` and ``model.layers``); the
  reserved names below are filled by the engine:
  ``input_shape`` (one example's shape), ``num_classes`` (None unless the
  labels are class indices), ``regularization`` (the run's
  `Regularization`; `RegularizedLayers` turns it into layers), ``seed``,
  and ``hp`` (a `keras_tuner.HyperParameters` holding the ``model``
  values, for ``build(hp)`` functions written for KerasTuner).
- A `keras_tuner.HyperModel`: its ``build(hp)``; every hyperparameter it
  declares is a ``model`` key with the declared default.
- A built `keras.Model`: cloned (fresh, seeded weights) for every run.

Builders return logits or probabilities; the engine checks that against
the loss (`kerasreg.engine.losses`).
"""

import inspect

from kerasreg.config import ConfigError, ModelConfig
from kerasreg.config.regularization import Regularization

# Keras and the model registry are imported where a model is built, not
# here: a command line resolves its config (and the registry model's
# defaults) before TensorFlow is loaded.

RESERVED = ("input_shape", "num_classes", "regularization", "seed", "hp")


class ModelSource:
    """Builds the model of one run from its config; see the module docstring for the forms."""

    @property
    def reads_regularization(self):
        """Whether the model can see the ``regularization`` section at all."""
        return False

    def model_defaults(self):
        """The ``model`` section's defaults: a `ModelConfig`, or a dict of free-form values."""
        raise NotImplementedError

    def build(self, config, *, input_shape, num_classes):
        raise NotImplementedError


class RegistryModel(ModelSource):
    """A `kerasreg.architectures` builder named by ``model.name``."""

    name = "the registry model"
    reads_regularization = True

    def model_defaults(self):
        return ModelConfig()

    def describe(self, config):
        return f"model {config.model.name!r}"

    def build(self, config, *, input_shape, num_classes):
        if num_classes is None:
            raise ConfigError(f"model.name={config.model.name!r} is a classifier and needs integer class labels")
        if len(input_shape) != 3:
            raise ConfigError(f"model.name={config.model.name!r} builds image models and needs images "
                              f"(height, width, channels); the data's examples have shape {input_shape}")  # fmt: skip
        from kerasreg.architectures import build_model

        return build_model(
            config.model.name,
            input_shape=input_shape,
            num_classes=num_classes,
            regularization=config.regularization,
            width=config.model.width or None,
            depth=config.model.depth or None,
            seed=config.training.seed,
            activation=config.model.activation or None,
            first_width=config.model.first_width or None,
        )


class BuilderFunction(ModelSource):
    """A user's builder function (see the module docstring)."""

    def __init__(self, function):
        self.function = function
        self.name = getattr(function, "__name__", type(function).__name__)
        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):
            raise ConfigError(f"model {self.name!r}: cannot read its signature; pass a plain function") from None
        self._reserved = [name for name in parameters if name in RESERVED]
        self._defaults = {}
        for name, parameter in parameters.items():
            if name in RESERVED:
                continue
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise ConfigError(f"model builder {self.name}() takes *{'*' if parameter.kind == parameter.VAR_KEYWORD else ''}"
                                  f"{name}; name each hyperparameter as a keyword argument with a default")  # fmt: skip
            if parameter.default is parameter.empty:
                raise ConfigError(f"model builder {self.name}(): argument {name!r} needs a default (it is the config "
                                  f"key model.{name}); the engine fills only {', '.join(RESERVED)}")  # fmt: skip
            self._defaults[name] = parameter.default
        self._hp_defaults = None

    @property
    def reads_regularization(self):
        return "regularization" in self._reserved

    def describe(self, config=None):
        return f"{self.name}()"

    def model_defaults(self):
        defaults = dict(self._defaults)
        if "hp" in self._reserved:
            for name, value in self._declared_hyperparameters().items():
                if name in defaults:
                    raise ConfigError(f"model builder {self.name}(): {name!r} is both an argument and an hp name")
                defaults[name] = value
        return defaults

    def _declared_hyperparameters(self):
        # What a `build(hp)` declares, with its defaults: one probe build.
        if self._hp_defaults is None:
            import keras_tuner as kt

            hp = kt.HyperParameters()
            self._call(hp, {}, input_shape=None, num_classes=None, regularization=None, seed=None, probe=True)
            self._hp_defaults = dict(hp.values)
        return self._hp_defaults

    def _call(self, hp, values, *, input_shape, num_classes, regularization, seed, probe=False):
        filled = {"input_shape": input_shape, "num_classes": num_classes, "regularization": regularization,
                  "seed": seed, "hp": hp}  # fmt: skip
        arguments = {name: filled[name] for name in self._reserved}
        arguments.update({name: values[name] for name in self._defaults if name in values})
        if probe:
            # The probe only wants the declared hyperparameters; a builder
            # that needs the input shape or the regularization gets a placeholder.
            placeholders = {"input_shape": (1,), "num_classes": 2, "regularization": Regularization()}
            arguments.update({k: v for k, v in placeholders.items() if k in arguments})
        return self.function(**arguments)

    def build(self, config, *, input_shape, num_classes):
        hp = None
        if "hp" in self._reserved:
            import keras_tuner as kt

            hp = kt.HyperParameters()
            for name in self._declared_hyperparameters():
                hp.values[name] = config.model[name]
        return self._call(hp, config.model, input_shape=input_shape, num_classes=num_classes,
                          regularization=config.regularization, seed=config.training.seed)  # fmt: skip


class HyperModelSource(BuilderFunction):
    """A `keras_tuner.HyperModel`: its ``build(hp)``, every declared hyperparameter a ``model`` key."""

    def __init__(self, hypermodel):
        self.hypermodel = hypermodel
        super().__init__(lambda hp: hypermodel.build(hp))
        self.name = hypermodel.name or type(hypermodel).__name__

    def describe(self, config=None):
        return f"HyperModel {self.name!r}"


class BuiltModel(ModelSource):
    """A built `keras.Model`, cloned with fresh weights for every run (seeded by the run's seed)."""

    def __init__(self, model):
        self.model = model
        self.name = model.name

    def describe(self, config=None):
        return f"model {self.name!r}"

    def model_defaults(self):
        return {}

    def build(self, config, *, input_shape, num_classes):
        import keras

        # clone_model re-creates every layer from its config, so weights are
        # drawn anew from the initializers under the run's global seed.
        return keras.models.clone_model(self.model)


def as_model_source(model):
    """The `ModelSource` of what the user passed as ``model`` (see the module docstring)."""
    if model is None:
        return RegistryModel()
    if isinstance(model, ModelSource):
        return model
    if isinstance(model, str):
        from kerasreg.architectures import model_names

        if model not in model_names():
            raise ConfigError(f"model {model!r} is not a registered model; registered: {', '.join(model_names())} "
                              "(or pass a builder function, a KerasTuner HyperModel or a keras.Model)")  # fmt: skip
        return RegistryModel()
    import keras

    if isinstance(model, keras.Model):
        return BuiltModel(model)
    try:
        import keras_tuner as kt
    except ImportError:  # pragma: no cover - a declared dependency
        kt = None
    if kt is not None and isinstance(model, kt.HyperModel):
        return HyperModelSource(model)
    if callable(model):
        return BuilderFunction(model)
    raise ConfigError(f"model must be a builder function, a KerasTuner HyperModel, a keras.Model or a registered "
                      f"model name; got {type(model).__name__}")  # fmt: skip
