"""`MachinePreset`: a preset's values picked by the CPU's instruction sets, through `resolve_config`."""

import copy
import pickle

import pytest

from kerasreg import Experiment
from kerasreg.config import ConfigError
from kerasreg.engine import MachinePreset, preset_values, resolve_config
from kerasreg.engine import presets as presets_module

WIDE = {"model.width": 64, "training.epochs": 14}
NARROW = {"model.width": 24, "training.epochs": 11}


def _experiment():
    preset = MachinePreset(NARROW, when={"amx_bf16": WIDE, "avx512_bf16": {"model.width": 32}})
    return Experiment("airbench", name="machine-presets", presets={"budget": preset, "plain": {"model.width": 16}})


def test_the_first_flag_the_cpu_has_picks_the_values():
    preset = MachinePreset(NARROW, when={"amx_bf16": WIDE, "avx512_bf16": {"model.width": 32}})
    assert preset.choose({"avx2", "avx512_bf16", "amx_bf16"}) == (WIDE, "amx_bf16"), "amx_bf16 is listed first"
    assert preset.choose({"avx2", "avx512_bf16"}) == ({"model.width": 32}, "avx512_bf16")
    assert preset.choose({"avx2", "fma"}) == (NARROW, None)
    assert preset.choose(set()) == (NARROW, None), "unreadable flags (not Linux): the other CPUs' values"
    assert dict(preset) == NARROW, "read as a plain dict, a preset gives the values for other CPUs"


def test_resolution_applies_the_machines_values_and_says_which(monkeypatch):
    experiment = _experiment()
    for flags, width, epochs, said in [
        ({"avx2", "amx_bf16"}, 64, 14, "preset budget: its values for a CPU with amx_bf16, as this one"),
        ({"avx2"}, 24, 11, "preset budget: its values for a CPU without amx_bf16 or avx512_bf16, as this one"),
    ]:
        monkeypatch.setattr(presets_module, "cpu_flags", lambda flags=flags: flags)
        messages = []
        config = resolve_config(experiment, preset="budget", log=messages.append, resolve_precision=False)
        assert (config.model.width, config.training.epochs) == (width, epochs)
        assert any(m.startswith(said) and "--set" in m for m in messages), messages


def test_a_machines_value_is_still_a_key_the_user_sets(monkeypatch):
    monkeypatch.setattr(presets_module, "cpu_flags", lambda: {"amx_bf16"})
    config = resolve_config(_experiment(), preset="budget", overrides=["model.width=40"], log=lambda *_: None,
                            resolve_precision=False)  # fmt: skip
    assert (config.model.width, config.training.epochs) == (40, 14)


def test_a_plain_preset_says_nothing_about_the_machine():
    messages = []
    values = preset_values(_experiment().presets, "plain", flags={"amx_bf16"}, log=messages.append)
    assert values == {"model.width": 16} and messages == []


def test_an_unknown_preset_is_one_line_naming_the_known_ones():
    with pytest.raises(ConfigError, match=r"^unknown preset 'fast'; presets: budget, plain, smoke$"):
        preset_values(_experiment().presets, "fast")


def test_copies_and_pickles_keep_the_machines_values():
    preset = MachinePreset(NARROW, when={"amx_bf16": WIDE})
    for copied in (copy.deepcopy(preset), pickle.loads(pickle.dumps(preset))):
        assert isinstance(copied, MachinePreset) and copied.when == {"amx_bf16": WIDE} and dict(copied) == NARROW
    assert repr(preset) == f"MachinePreset({NARROW!r}, when={{'amx_bf16': {WIDE!r}}})"


@pytest.mark.parametrize(
    "values, when, error, message",
    [
        ([("model.width", 24)], {"amx_bf16": WIDE}, TypeError, "values must be a dict of 'section.key' values; got list"),
        (NARROW, {}, ValueError, "when must map at least one CPU flag to its values; got {}"),
        (NARROW, {"amx_bf16": 64}, ValueError, "when must map CPU flags (strings) to dicts of values; got 'amx_bf16': 64"),
        (NARROW, {"": WIDE}, ValueError, "when must map CPU flags (strings) to dicts of values; got '': "),
    ],
)
def test_the_constructor_refuses_what_it_cannot_use(values, when, error, message):
    with pytest.raises(error) as raised:
        MachinePreset(values, when=when)
    assert str(raised.value).startswith(message)
