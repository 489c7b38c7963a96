"""The table's machine note: which runs ran where, so mixed wall times and cross-machine pairs are said."""

from kerasreg.comparison.table import machine_groups, machines_markdown

XEON = {"cpu": "Intel(R) Xeon(R) Processor", "cores": 2, "cpu_bfloat16": ["amx_bf16", "avx512_bf16"], "gpus": []}
EPYC = {"cpu": "AMD EPYC", "cores": 2, "cpu_bfloat16": ["avx512_bf16"], "gpus": []}
XEON_TEXT = "Intel(R) Xeon(R) Processor, 2 cores, amx_bf16, avx512_bf16"
EPYC_TEXT = "AMD EPYC, 2 cores, avx512_bf16"


def runs_on(machines):
    """``{variant: {seed: results}}`` from ``{(variant, seed): machine record or None}``."""
    runs = {}
    for (variant, seed), record in machines.items():
        runs.setdefault(variant, {})[seed] = {} if record is None else {"machine": record}
    return runs


def test_one_machine_is_one_line():
    runs = runs_on({("a", 0): EPYC, ("b", 0): EPYC, ("a", 1): EPYC, ("b", 1): EPYC})
    groups = machine_groups(runs)
    assert groups == [{"machine": EPYC_TEXT, "runs": [["a", 0], ["b", 0], ["a", 1], ["b", 1]]}]
    assert machines_markdown(groups, runs) == f"All runs on one machine: {EPYC_TEXT}.\n"


def test_whole_seeds_on_other_machines_are_named_by_seed_and_most_runs_come_first():
    runs = runs_on({("a", 0): None, ("b", 0): None, ("a", 1): None, ("b", 1): None, ("a", 2): EPYC, ("b", 2): EPYC})
    groups = machine_groups(runs)
    assert [g["machine"] for g in groups] == [None, EPYC_TEXT]
    text = machines_markdown(groups, runs)
    assert "span 2 machines, so `time s` mixes them" in text
    assert "- machine not recorded: seeds 0, 1 (4 runs)\n" in text
    assert f"- {EPYC_TEXT}: seed 2 (2 runs)\n" in text
    assert "paired differences may include" not in text  # every seed stayed on one machine


def test_a_seed_split_across_machines_is_flagged_and_its_runs_listed():
    runs = runs_on({("a", 0): XEON, ("b", 0): XEON, ("c", 0): XEON, ("a", 1): XEON, ("b", 1): EPYC, ("c", 1): EPYC})
    groups = machine_groups(runs)
    assert groups[0] == {"machine": XEON_TEXT, "runs": [["a", 0], ["b", 0], ["c", 0], ["a", 1]]}
    # The same runs in another order group the same: the note does not depend on how they were read.
    assert machine_groups(dict(reversed([(v, dict(reversed(list(r.items())))) for v, r in runs.items()]))) == groups
    text = machines_markdown(groups, runs)
    assert f"- {XEON_TEXT}: a seed 0, b seed 0, c seed 0, a seed 1\n" in text
    assert f"- {EPYC_TEXT}: b seed 1, c seed 1\n" in text
    assert text.endswith("- seed 1: runs not all on one recorded machine, so its paired differences may include "
                         "a machine's difference\n")


def test_no_runs_no_note():
    assert machines_markdown(machine_groups({}), {}) == ""
