"""A small layer-test harness: the checks of Keras's private `run_layer_test`.

`run_layer_test(make_layer, input_shape, ...)` checks a layer end to end:
eager calls in inference and training, a symbolic call on `keras.Input`,
output shapes, `get_config`/`from_config` and `serialize_keras_object`
round trips, one real `fit` step, and the same under `mixed_float16`.
`forward_and_grads` gives one stochastic forward pass and its gradients on
either backend.
"""

import keras
import numpy as np
from keras import ops


def random_inputs(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _shape(tensor):
    return tuple(int(d) for d in ops.shape(tensor))


def _check_config_round_trips(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config, "from_config(get_config()) changed the config"
    serialized = keras.saving.serialize_keras_object(layer)
    restored = keras.saving.deserialize_keras_object(serialized)
    assert type(restored) is type(layer)
    assert restored.get_config() == config, "deserialize(serialize()) changed the config"


def _fit_one_step(make_layer, input_shape, model_cls):
    inputs = keras.Input(input_shape[1:])
    outputs = keras.layers.Flatten()(make_layer()(inputs))
    outputs = keras.layers.Dense(1)(outputs)
    model = model_cls(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    x = random_inputs(input_shape, seed=1)
    y = random_inputs((input_shape[0], 1), seed=2)
    history = model.fit(x, y, batch_size=input_shape[0], epochs=1, verbose=0)
    loss = history.history["loss"][0]
    assert np.isfinite(loss), f"fit step gave a non-finite loss: {loss}"
    return model


def run_layer_test(
    make_layer,
    input_shape,
    expected_output_shape,
    *,
    expected_training_shape=None,
    mixed_precision=True,
    model_cls=keras.Model,
):
    """Checks a layer made by ``make_layer()`` end to end; returns the eager layer.

    Args:
        make_layer: Zero-argument callable returning a fresh layer.
        input_shape: Input shape including the batch size.
        expected_output_shape: Output shape at inference.
        expected_training_shape: Output shape in training, if it differs.
        mixed_precision: Also check under the ``mixed_float16`` policy.
        model_cls: Model class for the fit step (`MultiSampleModel` for
            layers that stack samples in training).
    """
    x = random_inputs(input_shape)

    layer = make_layer()
    inference = layer(x)
    assert _shape(inference) == tuple(expected_output_shape)
    training = layer(x, training=True)
    assert _shape(training) == tuple(expected_training_shape or expected_output_shape)
    assert np.all(np.isfinite(ops.convert_to_numpy(training)))

    symbolic = make_layer()(keras.Input(input_shape[1:]))
    assert tuple(symbolic.shape) == (None,) + tuple(expected_output_shape[1:])

    _check_config_round_trips(layer)
    _fit_one_step(make_layer, input_shape, model_cls)

    if mixed_precision:
        keras.config.set_dtype_policy("mixed_float16")
        try:
            half = make_layer()
            for flag in (False, True):
                out = half(x, training=flag)
                assert keras.backend.standardize_dtype(out.dtype) == "float16"
                assert np.all(np.isfinite(ops.convert_to_numpy(out)))
            _fit_one_step(make_layer, input_shape, model_cls)
        finally:
            keras.config.set_dtype_policy("float32")
    return layer


def forward_and_grads(layer, x, training=True):
    """One forward pass of a built ``layer`` and the gradients of ``sum(output)``.

    Returns ``(output, d_inputs, d_trainable_weights)`` as NumPy arrays, all
    from the same random draw.
    """
    backend = keras.backend.backend()
    x = ops.convert_to_tensor(x)
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=training)
            total = ops.sum(ops.cast(y, "float32"))
        grads = tape.gradient(total, [x] + list(layer.trainable_variables))
    elif backend == "jax":
        import jax

        trainable = [v.value for v in layer.trainable_variables]
        non_trainable = [v.value for v in layer.non_trainable_variables]

        def total(x, trainable):
            y, _ = layer.stateless_call(trainable, non_trainable, x, training=training)
            return ops.sum(ops.cast(y, "float32")), y

        (_, y), grads = jax.value_and_grad(total, argnums=(0, 1), has_aux=True)(
            x, trainable
        )
        grads = [grads[0]] + list(grads[1])
    else:  # pragma: no cover - the suite runs on TensorFlow and JAX
        raise NotImplementedError(backend)
    numpy = [ops.convert_to_numpy(g) for g in grads]
    return ops.convert_to_numpy(y), numpy[0], numpy[1:]
