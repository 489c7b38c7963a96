"""Package attributes that import their module on first use (PEP 562).

The orchestration packages (`kerasreg.engine`, `kerasreg.tuning`,
`kerasreg.comparison`) re-export names whose modules load TensorFlow or
KerasTuner. A command line reads the light ones (config resolution, file
parsing) before it checks its arguments; loading the rest then would make
``--help`` and every bad-input error wait for TensorFlow.
"""

import importlib


def lazy_attributes(package, locations):
    """``(__getattr__, __dir__)`` for ``package`` whose names ``{name: module}`` load on first access."""

    def __getattr__(name):
        module = locations.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    def __dir__():
        return sorted(locations)

    return __getattr__, __dir__
