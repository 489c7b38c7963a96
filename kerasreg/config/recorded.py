"""Configs recorded by an older kerasreg: keys added since, at their defaults, are not a change."""

import json

from kerasreg.config.loading import to_dict
from kerasreg.config.sections import ExperimentConfig


def as_recorded(values, recorded):
    """``values`` (a config as a dict) without the keys ``recorded`` lacks that hold their default.

    A key added to the config after ``recorded`` was written did, at its
    default, what the recorded runs did without it: a comparison, a study or
    a kept result stays the same experiment. A key ``recorded`` lacks that is
    set away from its default is kept, so the difference shows.
    """
    defaults = to_dict(ExperimentConfig())
    values = json.loads(json.dumps(values))
    for section, keys in values.items():
        if not isinstance(keys, dict) or not isinstance(recorded.get(section), dict):
            continue
        for key in list(keys):
            if key not in recorded[section] and key in defaults.get(section, {}) and keys[key] == defaults[section][key]:
                del keys[key]
    return values
