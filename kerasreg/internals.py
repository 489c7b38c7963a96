"""Every private Keras, TensorFlow and KerasTuner API kerasreg relies on, in one place.

Each is used only where no public API does the job, and each has a test in
``tests/test_internals.py`` that fails when a release within the versions
``pyproject.toml`` allows changes or drops it.
"""

import json
import os
import sys

import keras

from kerasreg.atomic_files import atomic_write


def flatten_layers(model, include_self=False):
    """Every layer inside ``model``: nested models, layers inside plain layers and wrappers included.

    ``model.layers`` lists only the top level; batch norms inside a residual
    block and the layer inside `ConcreteDropout` are reached only by Keras's
    own recursive walk.
    """
    return list(model._flatten_layers(include_self=include_self))


def reset_seed_generators(model):
    """Puts every seeded `keras.random.SeedGenerator` of ``model``'s layers back to its first state.

    Unseeded generators run on. Keras keeps a layer's generators and their
    seeds in private attributes only.
    """
    for layer in flatten_layers(model, include_self=True):
        for generator in getattr(layer, "_seed_generators", ()):
            if generator._initial_seed is not None:
                generator.state.assign(
                    keras.ops.convert_to_tensor([generator._initial_seed, 0], dtype=generator.state.dtype)
                )


def optimizer_schedule(optimizer):
    """The optimizer's `LearningRateSchedule`, or None when its learning rate is a float.

    The public ``optimizer.learning_rate`` is the schedule's current value, not
    the schedule.
    """
    learning_rate = getattr(optimizer, "_learning_rate", None)
    if isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        return learning_rate
    return None


def learning_rate_slot(optimizer):
    """What the optimizer holds as its learning rate: a schedule, a variable or a float."""
    return optimizer._learning_rate


def set_learning_rate_slot(optimizer, value):
    """Puts ``value`` (a schedule, or what `learning_rate_slot` returned) in the optimizer.

    The public setter refuses to put a variable back once a schedule is set,
    and untracks a learning-rate variable it replaces (dropping it from
    ``optimizer.variables``, which changes the checkpoint layout).
    """
    optimizer._learning_rate = value


def optimizer_step(optimizer):
    """The optimizer's step counter as an int (``optimizer.iterations`` read without a sync)."""
    return int(keras.ops.convert_to_numpy(optimizer._iterations))


def symbolic_build(model, data_batch):
    """Builds ``model``'s variables, metrics and optimizer from one batch, as ``fit`` does first."""
    model._symbolic_build(data_batch=data_batch)


def replace_symbolic_build(model, build):
    """Makes ``fit`` build ``model`` with ``build(iterator=None, data_batch=None)``."""
    model._maybe_symbolic_build = build


def tensorflow_seed_generator_state(layer):
    """The state variable of a Keras random layer's TensorFlow seed generator (used inside tf.data)."""
    return layer._get_seed_generator("tensorflow").state


def oracle_retry_queue(oracle):
    """The list of trial ids a reloaded KerasTuner oracle will run again, or None (a worker's client)."""
    return getattr(oracle, "_retry_queue", None)


def tensorflow_gradient_registry():
    """TensorFlow's process-wide gradient registry (a dict), or None without TensorFlow or if it changed."""
    ops = sys.modules.get("tensorflow.python.framework.ops")
    registry = getattr(getattr(ops, "_gradient_registry", None), "_registry", None)
    return registry if isinstance(registry, dict) else None


def oracle_value_drawer(oracle):
    """The method a KerasTuner random, Bayesian or Hyperband oracle draws a trial's values with, or None.

    None for an oracle without one (a distributed worker's client).
    """
    return getattr(oracle, "_random_values", None)


def set_oracle_first_values(oracle, values):
    """Makes a KerasTuner oracle draw its trials' values with ``values()`` (see `oracle_value_drawer`)."""
    oracle._random_values = values


REDUCE_LR_HOOK = "_reduce_optimizer_lr"
"""`keras.callbacks.ReduceLROnPlateau`'s per-optimizer reduction, overridden by kerasreg's."""


def write_keras_tuner_state_atomically():
    """Makes KerasTuner write its state files (oracle, tuner, trial, build config) atomically.

    KerasTuner writes them in place, through its private ``utils.save_json``:
    a search killed while it writes ``oracle.json`` leaves an empty file, and
    the next run cannot reload the search at all. Local paths then go through
    `atomic_write`; remote ones (``gs://...``) keep KerasTuner's own writer.
    Idempotent.
    """
    from keras_tuner.src import utils

    if getattr(utils.save_json, "kerasreg_atomic", False):
        return
    original = utils.save_json

    def save_json(path, obj):
        if "://" in os.fspath(path):
            return original(path, obj)
        text = json.dumps(obj)
        with atomic_write(path) as stream:
            stream.write(text)
        return text

    save_json.kerasreg_atomic = True
    utils.save_json = save_json
