"""Draws the README's charts of the main learning-rate schedules (docs/schedules-*.png).

Run from the repository root::

    python docs/plot_schedules.py
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402

from kerasreg.plotting import plot_schedule  # noqa: E402
from kerasreg.schedules import create_schedule  # noqa: E402

STEPS_PER_EPOCH = 100
EPOCHS = 30
DECAYS = {
    "constant": {"name": "constant", "learning_rate": 0.1},
    "step (x0.1 every 10 epochs)": {"name": "step", "learning_rate": 0.1, "decay_epochs": 10},
    "exponential": {"name": "exponential", "learning_rate": 0.1, "decay_epochs": 10},
    "cosine": {"name": "cosine", "learning_rate": 0.1, "decay_epochs": EPOCHS},
    "warmup + cosine": {"name": "warmup_cosine", "learning_rate": 0.1, "decay_epochs": EPOCHS - 2, "warmup_epochs": 2},
}
CYCLES = {
    "cosine restarts (SGDR)": {"name": "cosine_restarts", "learning_rate": 0.1, "first_decay_epochs": 5},
    "cyclical (triangular2)": {"name": "cyclical", "base_learning_rate": 0.01, "max_learning_rate": 0.1, "step_size_epochs": 3, "mode": "triangular2"},
    "one-cycle": {"name": "one_cycle", "max_learning_rate": 0.1, "total_epochs": EPOCHS},
    "warmup + one-cycle, 3 phases": {"name": "warmup_one_cycle", "max_learning_rate": 0.1, "total_epochs": EPOCHS - 3, "three_phase": True, "warmup_epochs": 3, "warmup_initial_learning_rate": 0.0},
}


def main():
    folder = Path(__file__).resolve().parent
    for name, configs in (("decay", DECAYS), ("cyclic", CYCLES)):
        schedules = {label: create_schedule(config, STEPS_PER_EPOCH) for label, config in configs.items()}
        path = folder / f"schedules-{name}.png"
        plot_schedule(
            schedules,
            EPOCHS * STEPS_PER_EPOCH,
            str(path),
            title=f"create_schedule(...), {EPOCHS} epochs x {STEPS_PER_EPOCH} steps",
        )
        print(f"wrote {path} (Keras {keras.__version__})")

if __name__ == "__main__":
    main()
