"""Which role this process has in KerasTuner's chief/worker mode, read from the variables KerasTuner reads."""

import os


def distributed():
    """Whether KerasTuner's chief/worker variables are set: this process is a chief or a worker."""
    return "KERASTUNER_ORACLE_IP" in os.environ


def is_chief_or_alone():
    """Whether this process runs the oracle (the chief) or runs without one; False on a worker."""
    return not distributed() or "chief" in os.environ.get("KERASTUNER_TUNER_ID", "")
