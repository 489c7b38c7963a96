"""Schedules that wrap other schedules: a float or a schedule, in and out of configs."""

import keras

from kerasreg.schedules.constant import Constant


def as_schedule(value):
    """A `LearningRateSchedule` for ``value``: schedules pass, numbers become `Constant`."""
    if isinstance(value, keras.optimizers.schedules.LearningRateSchedule):
        return value
    return Constant(value)


def serialize_schedule(schedule):
    return keras.saving.serialize_keras_object(schedule)


def deserialize_schedule(config):
    if isinstance(config, dict):
        return keras.saving.deserialize_keras_object(config)
    return as_schedule(config)
