"""kerasreg.recipes: ready-made experiments (`kerasreg.Experiment`s with presets) for CIFAR-10 and Fashion-MNIST.

A recipe only configures: a default config, presets and the data it
reads. ``python -m kerasreg.recipes.<name>`` runs the shared command line
(`kerasreg.cli`) on its ``EXPERIMENT``.
"""
