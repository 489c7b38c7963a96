"""Fashion-MNIST: 28x28 grayscale clothing, 10 classes, on the same engine as CIFAR-10.

Launch::

    python -m kerasreg.recipes.fashion_mnist                       # downloads via keras.datasets
    python -m kerasreg.recipes.fashion_mnist --data fashion.npz    # offline: a local copy
    python -m kerasreg.recipes.fashion_mnist --preset smoke        # synthetic, seconds

Without ``--config`` a run starts from the ``cpu`` or ``gpu`` preset (the
machine's); a ``--config`` file starts from the preset it names
(``preset = "cpu"``), else from the defaults below.
"""

import sys

from kerasreg.cli import main as cli_main
from kerasreg.config import ExperimentConfig
from kerasreg.experiment import Experiment


def defaults():
    """A VGG-style CNN with dropout, flips only (no translation needed at 28x28), 20 epochs."""
    config = ExperimentConfig(recipe="fashion_mnist")
    config.data.augment = ["flip"]
    config.training.epochs = 20
    config.schedule = {"name": "warmup_cosine", "learning_rate": 0.05, "warmup_epochs": 1}
    return config


PRESETS = {
    "cpu": {"model.width": 16, "training.epochs": 8, "training.batch_size": 256},
    "gpu": {},
}

EXPERIMENT = Experiment(
    name="fashion_mnist",
    description="Train a regularized CNN on Fashion-MNIST and log the run to TensorBoard.",
    config=defaults,
    presets=PRESETS,
    builtin_data="fashion_mnist",
    reference="kerasreg.recipes.fashion_mnist:EXPERIMENT",
    synthetic_shape=(28, 28, 1),
)


def main(argv=None):
    return cli_main(EXPERIMENT, argv, prog="python -m kerasreg.recipes.fashion_mnist")


if __name__ == "__main__":
    sys.exit(main())
