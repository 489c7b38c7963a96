"""Smoke-sized comparisons through the real command line."""

from pathlib import Path

# Two variants differing in the learning rate and the augmentation (a list
# value, which TensorBoard's HParams hold as text); the smoke preset
# (synthetic data, a tiny net, one epoch) keeps each run to seconds.
COMPARISON = """
name = "smoke"
seeds = 2
preset = "smoke"
baseline = "low-lr"

[set]
"data.synthetic_examples" = 128

[variants.low-lr]
"schedule.learning_rate" = 0.01

[variants.high-lr]
"schedule.learning_rate" = 0.05
"data.augment" = ["flip"]
"""


def write_comparison(cwd, text=COMPARISON, name="compare.toml"):
    path = Path(cwd) / name
    path.write_text(text)
    return str(path)


def run_compare(cwd, *args, timeout=600):
    """``compare`` through the recipe's command line, in this process (`tests.cli_runner`)."""
    from tests import cli_runner

    return cli_runner.cifar("compare", *args, cwd=cwd)


def comparison_root(cwd, name="smoke"):
    return Path(cwd) / "logs" / "cifar" / f"compare-{name}"
