"""kerasreg.recipes: experiment recipes on one shared engine.

A recipe module declares a `Recipe` (name, default config, presets) and
hands it to the shared CLI; `engine` runs config -> data -> model -> fit ->
TensorBoard -> results for all of them.
"""
