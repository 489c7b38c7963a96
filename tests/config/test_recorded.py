"""`as_recorded`: a config compared with one an older kerasreg wrote."""

from kerasreg.config import ExperimentConfig, to_dict
from kerasreg.config.recorded import as_recorded


def test_keys_added_since_at_their_default_are_dropped_and_others_kept():
    current = to_dict(ExperimentConfig())
    recorded = {section: dict(keys) if isinstance(keys, dict) else keys for section, keys in current.items()}
    del recorded["training"]["calibration"], recorded["data"]["known_classes"]
    assert as_recorded(current, recorded) == recorded
    current["training"]["calibration"] = "temperature"  # set away from its default: a real difference
    assert as_recorded(current, recorded)["training"]["calibration"] == "temperature"
    assert "calibration" in as_recorded(current, current)["training"]  # nothing is dropped from an equal record
