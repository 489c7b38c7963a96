"""No silent no-op: a config value that would change nothing is an error, before any run.

A researcher who compares ``regularization.batch_norm = true`` against
``false`` on a model that never reads it would otherwise train the same
model twice and read "+0.00" as a finding. So before a run:

- Image-only options (augmentation, MixUp, CutMix, test-time
  augmentation) on data that is not images are errors.
- Every ``model`` and ``regularization`` key set away from the task's
  default is checked by effect: the model is built with the value and
  with the default, and if both builds are the same model (same layer
  classes and configs, names aside, and the same weight shapes) the key
  did nothing and the run is refused with a message naming the key and
  the model. A builder that takes no ``regularization`` argument ignores
  every regularization key without a build.
- Variants of a comparison that would train the same model the same way
  are refused (`check_distinct`).

`active_regularizers` says what is switched on in a run, for its log and
``results.json``.
"""

import dataclasses
import json

import keras

from kerasreg.config import ConfigError, to_dict, with_values

# Image-only options and their "off" value.
IMAGE_ONLY = {
    "data.augment": [],
    "data.erasing_rate": 0.0,
    "data.mixup_alpha": 0.0,
    "data.cutmix_alpha": 0.0,
    "training.test_time_augmentation": "none",
    "data.progressive_size": 0,
}
# Model keys the engine applies itself (validated where applied), not the builder.
ENGINE_MODEL_KEYS = ("name", "whitening", "identity_init")


def _value(config, key):
    section, name = key.split(".")
    return getattr(getattr(config, section), name)


def check_image_options(config, dataset, task):
    """Refuses image-only options on data that is not images, and a translation size nothing uses."""
    if not dataset.is_image:
        x = dataset.x_train
        for key, off in IMAGE_ONLY.items():
            if _value(config, key) != off:
                raise ConfigError(f"{key}={_value(config, key)!r} applies to uint8 images only; the data of "
                                  f"{task.name!r} is {x.dtype} of shape {x.shape[1:]} per example")  # fmt: skip
        if task.registry and (config.model.whitening or config.model.identity_init):
            raise ConfigError("model.whitening and model.identity_init apply to the image models only")
    defaults = task.default_config()
    if config.data.translate_pixels != defaults.data.translate_pixels and not {"translate", "crop"} & set(
        config.data.augment
    ):
        raise ConfigError(f"data.translate_pixels={config.data.translate_pixels} has no effect without 'translate' "
                          f"or 'crop' in data.augment (data.augment={config.data.augment!r})")  # fmt: skip


def _leaf_layers(model):
    """Every layer of ``model``, nested models opened, and the layer inside a wrapper right after it."""
    for layer in getattr(model, "layers", None) or []:
        if isinstance(layer, keras.Model):
            yield from _leaf_layers(layer)
        else:
            yield layer
            inner = getattr(layer, "layer", None)  # wrappers (MultiSampleDropout, ConcreteDropout)
            if isinstance(inner, keras.layers.Layer):
                yield inner


def model_fingerprint(model):
    """What two builds must share to be the same model: layer classes and configs (names aside), weight shapes."""
    layers = [[type(layer).__name__, _without_names(_config_of(layer))] for layer in _leaf_layers(model)]
    weights = [[list(w.shape), str(w.dtype)] for w in model.weights]
    return json.dumps([type(model).__name__, layers, weights], sort_keys=True, default=repr)


def _built_fingerprint(task, config, dataset):
    """`model_fingerprint` of the model ``config`` builds, kept on the task: the no-op check and the
    comparison's distinctness check ask for the same builds."""
    values = to_dict(config)
    key = json.dumps([values["model"], values["regularization"], config.training.seed, dataset.input_shape,
                      keras.config.dtype_policy().name], sort_keys=True, default=repr)  # fmt: skip
    cache = task.__dict__.setdefault("_fingerprints", {})
    if key not in cache:
        cache[key] = model_fingerprint(task.build_model(config, dataset))
    return cache[key]


def _config_of(layer):
    try:
        return layer.get_config()
    except (NotImplementedError, TypeError):
        return {}


def _without_names(value):
    if isinstance(value, dict):
        return {k: _without_names(v) for k, v in value.items() if k != "name"}
    if isinstance(value, (list, tuple)):
        return [_without_names(v) for v in value]
    return value


def _candidates(config, defaults):
    """``(key, value, reset, message)`` of each model/regularization key set away from the task's default.

    ``message`` is set where the key is known to do nothing without a build.
    """
    found = []
    model, default_model = config.model, defaults.model
    if isinstance(model, dict):
        names = list(model)
        get, get_default = model.get, default_model.get
    else:
        names = [f.name for f in dataclasses.fields(model) if f.name not in ENGINE_MODEL_KEYS]
        get, get_default = (lambda n: getattr(model, n)), (lambda n: getattr(default_model, n))
    for name in names:
        if get(name) != get_default(name):
            found.append((f"model.{name}", get(name), get_default(name), None))
    reg, default_reg = config.regularization, defaults.regularization
    names = [f.name for f in dataclasses.fields(reg) if f.name != "weight_decay"] + ["weight_decay"]
    for name in names:  # the mode before the amount: "l2 does nothing here" is the clearer message
        value, default = getattr(reg, name), getattr(default_reg, name)
        if name == "weight_decay" and reg.weight_decay_mode == "decoupled":
            continue  # the optimizer applies it, whatever the model
        if name == "weight_decay" and reg.weight_decay_mode == "none":
            if value != default:
                found.append(("regularization.weight_decay", value, default,
                              f"regularization.weight_decay={value!r} has no effect with "
                              "regularization.weight_decay_mode='none'; set the mode to 'decoupled' or 'l2'"))  # fmt: skip
            continue
        if name == "weight_decay_mode" and value == "l2" and reg.weight_decay > 0:
            # Effective only if the model puts the L2 term on its kernels.
            if value != default or reg.weight_decay != default_reg.weight_decay:
                found.append(("regularization.weight_decay_mode", value, "none", None))
            continue
        if name == "weight_decay_mode":
            continue
        if value != default:
            found.append((f"regularization.{name}", value, default, None))
    return found


def ineffective_keys(task, config, dataset):
    """``{key: message}``: the model and regularization keys of ``config`` set away from the task's default
    that change nothing (see the module docstring)."""
    candidates = _candidates(config, task.default_config())
    if not candidates:
        return {}
    cache = task.__dict__.setdefault("_ineffective_keys", {})
    values = to_dict(config)
    identity = json.dumps([values["model"], values["regularization"], dataset.input_shape], sort_keys=True,
                          default=repr)  # fmt: skip
    if identity in cache:
        return cache[identity]
    model_name = task.describe_model(config)
    found = {key: message for key, _, _, message in candidates if message}
    if not task.model_source.reads_regularization:
        for key, value, _, _ in candidates:
            if key.startswith("regularization.") and key not in found:
                found[key] = (f"{model_name} ignores {key} (it takes no `regularization` argument), so "
                              f"{key}={value!r} would change nothing; read it in the builder or leave it unset")  # fmt: skip
    remaining = [c for c in candidates if c[0] not in found]
    if remaining:
        reference = _built_fingerprint(task, config, dataset)
        for key, value, reset, _ in remaining:
            try:
                other = with_values(config, {key: reset}, origin="the no-op check")
            except ConfigError:
                continue  # the default does not even fit the other values: the key matters
            if _built_fingerprint(task, other, dataset) == reference:
                found[key] = (f"{model_name} ignores {key}: {key}={value!r} builds the same model as {reset!r}, "
                              "so it would change nothing; use it in the model builder or leave it unset")  # fmt: skip
        keras.backend.clear_session()
    cache[identity] = found
    return found


def check_no_silent_noops(task, config, dataset):
    """Raises `ConfigError` for a model or regularization key set away from its default that changes nothing."""
    found = ineffective_keys(task, config, dataset)
    if found:
        raise ConfigError(next(iter(found.values())))


def check_variant_noops(task, named_configs, variant_values, dataset):
    """The no-op check of a comparison: ``{variant: config}`` and ``{variant: the values it sets}``.

    A value a variant sets must act in that variant. A value the variants
    share (the comparison's ``[set]``, a preset) must act in at least one
    of them: a dropout placement shared by a "no dropout" variant and the
    dropout variants is fine, one that no variant uses is not.
    """
    found = {name: ineffective_keys(task, config, dataset) for name, config in named_configs.items()}
    for name, keys in found.items():
        for key, message in keys.items():
            if key in variant_values[name]:
                raise ConfigError(f"variant '{name}': {message}")
    shared = set.intersection(*(set(keys) for keys in found.values())) if found else set()
    for key in sorted(shared):
        if not any(key in values for values in variant_values.values()):
            raise ConfigError(f"every variant: {next(iter(found.values()))[key]}")


def run_identity(task, config, dataset):
    """What makes two runs the same run: the model built and every other setting (the seed aside)."""
    values = to_dict(config)
    for section in ("model", "regularization", "logging"):
        values.pop(section)
    values["training"].pop("seed")
    values["decoupled_weight_decay"] = config.regularization.decoupled_weight_decay
    values["model_built"] = _built_fingerprint(task, config, dataset)
    return json.dumps(values, sort_keys=True, default=repr)


def check_distinct(task, named_configs, dataset):
    """Refuses two variants (``{variant: config}``) that would train the same model the same way."""
    seen = {}
    for name, config in named_configs.items():
        identity = run_identity(task, config, dataset)
        if identity in seen:
            first = seen[identity]
            a, b = to_dict(named_configs[first]), to_dict(config)
            differing = [f"{s}.{k}" for s in ("model", "regularization") for k in b[s] if a[s].get(k) != b[s].get(k)]
            raise ConfigError(f"variants {first!r} and {name!r} would train the same model the same way: "
                              f"{task.describe_model(config)} ignores {', '.join(differing) or 'what they change'}")  # fmt: skip
        seen[identity] = name
    keras.backend.clear_session()


def active_regularizers(config, model, dataset):
    """What regularizes a run, in words: the model's stochastic and norm layers, penalties, and the engine's own."""
    from kerasreg.layers import StochasticLayer

    counts = {}
    penalized = 0
    noise = (keras.layers.Dropout, keras.layers.SpatialDropout1D, keras.layers.SpatialDropout2D,
             keras.layers.SpatialDropout3D, keras.layers.GaussianNoise, keras.layers.GaussianDropout,
             keras.layers.AlphaDropout, keras.layers.BatchNormalization, StochasticLayer)  # fmt: skip
    for layer in _leaf_layers(model):
        if isinstance(layer, noise) or "Normalization" in type(layer).__name__:
            rate = getattr(layer, "rate", None)
            if isinstance(rate, (int, float)) and rate == 0:
                continue  # a dropout layer at rate 0 regularizes nothing
            label = type(layer).__name__ + (f"({float(rate):g})" if isinstance(rate, (int, float)) else "")
            counts[label] = counts.get(label, 0) + 1
        if getattr(layer, "kernel_regularizer", None) is not None:
            penalized += 1
    active = [f"{label} x{n}" if n > 1 else label for label, n in counts.items()]
    if penalized:
        active.append(f"L2 on {penalized} kernels ({config.regularization.weight_decay:g})")
    if config.regularization.decoupled_weight_decay:
        active.append(f"decoupled weight decay {config.regularization.decoupled_weight_decay:g}")
    training, data = config.training, config.data
    if training.label_smoothing:
        active.append(f"label smoothing {training.label_smoothing:g}")
    if dataset.is_image and data.augment:
        active.append("augmentation " + "+".join(data.augment))
    for name in ("mixup_alpha", "cutmix_alpha"):
        if getattr(data, name):
            active.append(f"{name.split('_')[0]} {getattr(data, name):g}")
    if training.early_stopping_patience:
        active.append(f"early stopping (patience {training.early_stopping_patience})")
    if training.lookahead_steps:
        active.append(f"lookahead every {training.lookahead_steps} steps")
    if training.swa_epochs:
        active.append(f"SWA over the last {training.swa_epochs} epochs")
    return active
