"""`enable_mc` / `disable_mc`: a copy of a model whose dropout layers do / do not sample at inference;
`sampling_off`: the model itself, for a block."""

import contextlib

import keras

from kerasreg import internals
from kerasreg.layers.mc_dropout import MCDropout
from kerasreg.layers.stochastic_layer import StochasticLayer

# Keras dropout layers that become `MCDropout`, with the mask shape that
# reproduces them: (spatial dims, channels_last, channels_first). `None`
# entries take the input's size; 1 shares the mask along that axis.
_KERAS_DROPOUTS = {
    "Dropout": None,
    "SpatialDropout1D": ((None, 1, None), (None, None, 1)),
    "SpatialDropout2D": ((None, 1, 1, None), (None, None, 1, 1)),
    "SpatialDropout3D": ((None, 1, 1, 1, None), (None, None, 1, 1, 1)),
}


def _is_keras_layer_config(node, class_name):
    return (
        node.get("class_name") == class_name
        and str(node.get("module", "")).startswith("keras")
        and isinstance(node.get("config"), dict)
    )


def _as_mc_dropout(node):
    """Rewrites a Keras (Spatial)Dropout config node in place as an `MCDropout` node."""
    config = node["config"]
    shapes = _KERAS_DROPOUTS[node["class_name"]]
    noise_shape = config.get("noise_shape")
    if shapes is not None:
        channels_first = config.get("data_format") == "channels_first"
        noise_shape = shapes[1] if channels_first else shapes[0]
    replacement = keras.saving.serialize_keras_object(
        MCDropout(config["rate"], noise_shape=noise_shape, seed=config.get("seed"))
    )
    kept = {k: config[k] for k in ("name", "trainable", "dtype") if k in config}
    node.update(
        module=replacement["module"],
        class_name=replacement["class_name"],
        registered_name=replacement["registered_name"],
        config={**replacement["config"], **kept},
    )


def _is_stochastic_config(node):
    name = node.get("registered_name")
    if not name or not isinstance(node.get("config"), dict):
        return False
    cls = keras.saving.get_registered_object(name)
    return isinstance(cls, type) and issubclass(cls, StochasticLayer)


def _switch(node, on):
    """Walks a serialized model and sets every stochastic layer's MC mode to ``on``.

    Switching on also turns Keras dropouts into `MCDropout`; switching off
    leaves them alone, as they never sample at inference.
    """
    if isinstance(node, dict):
        if on and any(_is_keras_layer_config(node, name) for name in _KERAS_DROPOUTS):
            _as_mc_dropout(node)
        elif _is_stochastic_config(node):
            node["config"]["mc"] = on
        for value in node.values():
            _switch(value, on)
    elif isinstance(node, list):
        for value in node:
            _switch(value, on)


def _copy_with_mc(model, on, caller):
    """A copy of ``model`` (same weights, same compile config) with MC mode ``on``."""
    if not isinstance(model, keras.Model):
        raise ValueError(
            "Invalid value received for argument `model`. Expected a keras.Model. "
            f"Received: model={model!r}"
        )
    if not model.built:
        raise ValueError(
            f"{caller} needs a built model; build or call '{model.name}' first."
        )
    config = keras.saving.serialize_keras_object(model)
    _switch(config, on)
    try:
        copy = keras.saving.deserialize_keras_object(config)
    except Exception as error:  # noqa: BLE001 - re-raised with the cause
        raise ValueError(
            f"{caller} could not rebuild model '{model.name}' from its config "
            f"({type(error).__name__}: {error}). Subclassed models need a "
            "get_config/from_config that round-trips."
        ) from error
    copy.set_weights(model.get_weights())
    if model.compiled:
        compile_config = model.get_compile_config()
        if compile_config:
            copy.compile_from_config(compile_config)
    return copy


def enable_mc(model):
    """Returns a copy of ``model`` (same weights) that samples dropout at inference.

    In the copy, every kerasreg `StochasticLayer` (user subclasses included)
    has ``mc=True`` and every Keras `Dropout` / `SpatialDropout1D/2D/3D` is
    replaced by the equivalent `MCDropout`; nothing else changes: batch
    normalization and every other layer stay in inference mode, and the
    original model is untouched. Repeated ``predict`` calls on the copy are
    Monte Carlo samples. If ``model`` is compiled, the copy is compiled with
    the same configuration (a fresh optimizer).

    The model must be serializable (Functional, Sequential, or a subclass
    with a working ``get_config``/``from_config``), as for `.keras` saving.

    Args:
        model: A built Keras model.

    Returns:
        A new Keras model.

    Example:

    >>> import keras, numpy as np
    >>> from kerasreg.layers import enable_mc
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dropout(0.5)])
    >>> mc_model = enable_mc(model)
    >>> x = np.ones((1, 4), "float32")
    >>> bool((model.predict(x, verbose=0) == 1).all())
    True
    >>> bool((mc_model.predict(x, verbose=0) != 1).any())
    True
    """
    return _copy_with_mc(model, True, "enable_mc")


def disable_mc(model):
    """Returns a copy of ``model`` (same weights) whose dropout is deterministic at inference.

    The inverse of `enable_mc`: every kerasreg `StochasticLayer` in the copy
    has ``mc=False``, so at inference it takes its deterministic path (for
    `MCDropout`, exactly Keras's `Dropout`: the identity). Use it to score a
    model trained with ``mc=True`` layers without sampling, e.g. the
    "without MC" half of an MC evaluation. Keras dropouts are left as they
    are; the original model is untouched; a compiled model's copy is
    compiled with the same configuration (a fresh optimizer).

    Args:
        model: A built, serializable Keras model (see `enable_mc`).

    Returns:
        A new Keras model.

    Example:

    >>> import keras, numpy as np
    >>> from kerasreg.layers import MCDropout, disable_mc
    >>> model = keras.Sequential([keras.Input((4,)), MCDropout(0.5, seed=0)])
    >>> x = np.ones((1, 4), "float32")
    >>> bool((model.predict(x, verbose=0) != 1).any())
    True
    >>> bool((disable_mc(model).predict(x, verbose=0) == 1).all())
    True
    """
    return _copy_with_mc(model, False, "disable_mc")


@contextlib.contextmanager
def sampling_off(model):
    """Within the block, ``model`` itself does not sample at inference; yields the names switched off.

    Every kerasreg `StochasticLayer` of ``model`` with ``mc=True`` takes its
    deterministic path at inference inside the block and samples again after
    it; training steps are untouched (they draw noise either way). Unlike
    `disable_mc`, nothing is copied, so it works for any model, subclassed
    ones included. ``mc`` is read when Keras traces a function, so the
    model's cached predict and test functions are dropped on entry and exit
    (a caller that had replaced them, as multi-worker training does, puts
    its own back inside the block).
    kerasreg validates and selects models this way: one random sample of a
    model that samples at inference is noise, not a score.

    Args:
        model: A Keras model.

    Example:

    >>> import keras, numpy as np
    >>> from kerasreg.layers import MCDropout, sampling_off
    >>> model = keras.Sequential([keras.Input((4,)), MCDropout(0.5, seed=0, name="drop")])
    >>> x = np.ones((1, 4), "float32")
    >>> with sampling_off(model) as names:
    ...     bool((model.predict(x, verbose=0) == 1).all())
    True
    >>> names
    ['drop']
    >>> bool((model.predict(x, verbose=0) != 1).any())
    True
    """
    layers = [layer for layer in internals.flatten_layers(model) if isinstance(layer, StochasticLayer) and layer.mc]
    if not layers:
        yield []
        return
    for layer in layers:
        layer.mc = False
    _forget_traced_inference(model)
    try:
        yield [layer.name for layer in layers]
    finally:
        for layer in layers:
            layer.mc = True
        _forget_traced_inference(model)


def _forget_traced_inference(model):
    # Keras rebuilds a function it finds unset (`make_test_function`,
    # `make_predict_function`): the next call traces with the new `mc`.
    model.test_function = None
    model.predict_function = None
