"""Presets whose values depend on the CPU (`MachinePreset`), and `preset_values`, which picks a preset's values."""

from kerasreg.config import ConfigError
from kerasreg.engine.hardware import cpu_flags

# In the line `preset_values` logs for a `MachinePreset` (``preset NAME: its values for a CPU with FLAG, ...``).
MACHINE_CHOICE = ": its values for a CPU "


class MachinePreset(dict):
    """A preset with other values on CPUs that have a given instruction set.

    A budgeted preset has to be sized for the machine it runs on: a 2-core
    Xeon trains the cifar recipe's net about 6x as fast in bfloat16 on its
    AMX tiles as a 2-core EPYC without native bfloat16 does in float32, so
    within the same minutes it affords a wider net.

    The dict itself holds the values used on any other CPU (code that
    reads a preset as a plain dict sees those). ``when`` maps a flag of the
    CPU (``/proc/cpuinfo``'s ``flags``, e.g. ``"amx_bf16"``) to the whole
    set of values used where the CPU has it; the first flag found wins.
    Every value is still an ordinary config key, which ``--set`` changes.

    Example:

    >>> preset = MachinePreset({"model.width": 24}, when={"amx_bf16": {"model.width": 64}})
    >>> preset.choose({"avx2", "amx_bf16"})
    ({'model.width': 64}, 'amx_bf16')
    >>> preset.choose({"avx2"})
    ({'model.width': 24}, None)
    """

    def __init__(self, values, *, when):
        if not isinstance(values, dict):
            raise TypeError(f"values must be a dict of 'section.key' values; got {type(values).__name__}")
        if not isinstance(when, dict) or not when:
            raise ValueError(f"when must map at least one CPU flag to its values; got {when!r}")
        for flag, chosen in when.items():
            if not isinstance(flag, str) or not flag or not isinstance(chosen, dict):
                raise ValueError(f"when must map CPU flags (strings) to dicts of values; got {flag!r}: {chosen!r}")
        super().__init__(values)
        self.when = {flag: dict(chosen) for flag, chosen in when.items()}

    def choose(self, flags):
        """``(values, flag)`` for a CPU with ``flags``: the first matching flag's values, else ``(self, None)``."""
        for flag, chosen in self.when.items():
            if flag in flags:
                return dict(chosen), flag
        return dict(self), None

    def __repr__(self):
        return f"MachinePreset({dict(self)!r}, when={self.when!r})"


def preset_values(presets, name, *, flags=None, log=None):
    """The ``{"section.key": value}`` of preset ``name`` on this machine (``flags``: its CPU's, read when None).

    A `MachinePreset` says which values this CPU got through ``log``.
    """
    if name not in presets:
        raise ConfigError(f"unknown preset {name!r}; presets: {', '.join(sorted(presets)) or 'none'}")
    preset = presets[name]
    if not isinstance(preset, MachinePreset):
        return dict(preset)
    values, flag = preset.choose(cpu_flags() if flags is None else flags)
    if log is not None:
        which = f"with {flag}" if flag else f"without {' or '.join(preset.when)}"
        log(f"preset {name}{MACHINE_CHOICE}{which}, as this one (change any with --set)")
    return values
