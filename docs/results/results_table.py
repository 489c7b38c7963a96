"""Prints a comparison's table in the format of docs/results.md, from its ``comparison.json``.

docs/results.md rounds as this prints: accuracy, its bootstrap interval,
differences in points and P(improve) to two decimals, the p-values (paired t
and Holm) to two significant figures, the gaps, NLL, Brier and ECE to three
decimals, epochs and seconds to whole numbers, with "−" for minus (but
7.9e-05 for a p-value below 0.001). Under the table come the line saying
which code made the runs and the seeds each variant would need for the
power the comparison planned for.
``tests/comparison/test_results_tables.py`` reads that page's tables back
against the same files. Variant names come out as the comparison file
spells them: give them plainer labels by hand. Run from the repository root:

    python docs/results/results_table.py schedules [--time]
    python docs/results/results_table.py --readme   # README's one row per shipped comparison

``--time`` adds the mean wall time, for comparisons whose runs all ran on
one machine (``comparison.md`` ends with which runs ran where).
"""

import argparse
import glob
import json
import os


def _minus(text):
    return text.replace("-", "−")


def _signed(points):
    return _minus(f"{points:+.2f}")


def _p(value):
    return f"{value:#.2g}"  # below 0.001 as 7.9e-05, its exponent's sign a hyphen


def _row(row, time):
    accuracy, booted = row["test_accuracy"], row["bootstrap"]
    cells = [row["variant"], str(len(row["seeds"])),
             f"{100 * accuracy['mean']:.2f} ± {50 * (accuracy['high'] - accuracy['low']):.2f}",
             f"[{100 * booted['low']:.2f}, {100 * booted['high']:.2f}]"]
    if row["baseline"]:
        cells += ["baseline", "", "", "", ""]
    else:
        d = row["difference"]
        improve = d["p_improve"]
        cells += [f"{_signed(100 * d['mean'])} [{_signed(100 * d['low'])}, {_signed(100 * d['high'])}]",
                  f"[{_signed(100 * d['bootstrap']['low'])}, {_signed(100 * d['bootstrap']['high'])}]",
                  _p(d["p_value"]), _p(d["p_holm"]),
                  f"{improve['mean']:.2f} [{improve['low']:.2f}, {improve['high']:.2f}]"]
    cells += [_minus(f"{row[key]['mean']:.3f}")
              for key in ("gap_accuracy", "gap_loss", "test_nll", "test_brier", "test_ece")]
    cells.append(f"{row['epochs']['mean']:.0f}")
    if time:
        cells.append(f"{row['wall_seconds']['mean']:.0f}")
    return "| " + " | ".join(cells) + " |"


def _runs_text(members, rows):
    """"seeds 0, 1 (12 runs)" when the group holds every run of those seeds, else the runs one by one."""
    seeds = sorted({seed for _, seed in members})
    every = sum(1 for row in rows for seed in row["seeds"] if seed in seeds)
    if every == len(members):
        label = "seed" if len(seeds) == 1 else "seeds"
        return f"{label} {', '.join(map(str, seeds))} ({len(members)} run{'s' * (len(members) != 1)})"
    return ", ".join(f"{variant} seed {seed}" for variant, seed in members)


def _code_lines(groups, rows):
    """Which code made the runs, as `kerasreg.comparison.table.code_markdown` words it."""
    if not groups:
        return []
    if len(groups) == 1 and groups[0]["source_sha256"] is None:
        return ["Code: not recorded (the runs predate results recording the code's identity)."]
    if len(groups) == 1:
        return [f"Code: kerasreg {groups[0]['code']} (every run)."]
    return ([f"Mixed code: the runs span {len(groups)} kerasreg versions:"]
            + [f"- {group['code']}: {_runs_text(group['runs'], rows)}" for group in groups])  # fmt: skip


def _seeds_lines(rows):
    """The seeds each variant's paired t-test would need, one list item a variant."""
    planned = [row for row in rows if row["difference"] and row["difference"].get("seeds_needed")]
    if not planned:
        return []
    powers = {row["difference"]["seeds_needed"]["power"] for row in planned}
    targets = {row["difference"]["seeds_needed"]["target"] for row in planned}
    assert len(powers) == 1 and len(targets) == 1, "the variants' seed counts were planned differently"
    power, target = powers.pop(), targets.pop()

    def seeds(count):
        return "> 1000" if count is None else str(count)

    lines = [f"Seeds for {100 * power:.0f} % power:", ""]
    for row in planned:
        d = row["difference"]
        needed = d["seeds_needed"]
        lines.append(f"- `{row['variant']}`: sd {100 * d['sd']:.2f} pts; {seeds(needed['observed'])} seeds for its "
                     f"{_signed(100 * d['mean'])} pts, {seeds(needed['at_target'])} for {100 * target:.2f} pts")
    return lines


README_HEADER = ("| comparison | runs | best variant vs baseline | Δ, pts [boot 95% CI] | p Holm "
                 "| P(improve) [95% CI] | seeds for 0.50 pts |")


def readme_row(name, table, files, tuning=(0, 0), runs_of=None):
    """README's row for one shipped comparison: its variant with the highest mean difference from the baseline.

    ``table``: its kept ``comparison.json`` (None when none is kept);
    ``files``: the comparison file's name; ``tuning``: (kept, planned)
    tuning runs of a tuned comparison, for one whose final runs have not
    started; ``runs_of``: the comparison whose kept runs are this one's,
    when its table was made from them (`shared_runs`).
    """
    if table is None:
        return f"| `{name}` ({files}) | | no kept runs yet | | | | |"
    # A difference needs two paired seeds for an interval; with one it is a single draw.
    rows = [row for row in table["rows"] if not row["baseline"] and row["difference"] and row["difference"]["n"] > 1]
    runs = sum(len(row["seeds"]) for row in table["rows"])
    if not rows:  # a long comparison under way: what is kept so far, no statistics
        if runs:  # final runs kept, but no variant has two seeds paired with the baseline yet
            planned = len(table["rows"]) * table["seeds_requested"]
            return f"| `{name}` ({files}) | {runs} | too few seeds for statistics ({runs} of {planned} final runs kept) | | | | |"
        kept, planned = tuning
        return f"| `{name}` ({files}) | {runs} | no final runs yet ({kept} of {planned} tuning runs kept) | | | | |"
    seeds = sorted({len(row["seeds"]) for row in table["rows"]})
    far = max(rows, key=lambda row: row["difference"]["mean"])
    d = far["difference"]
    booted, improve, needed = d["bootstrap"], d["p_improve"], d["seeds_needed"]["at_target"]
    shared = f", the runs of `{runs_of}`" if runs_of else ""
    return (f"| `{name}` ({files}) | {runs} ({len(table['rows'])} × {'/'.join(map(str, seeds))}){shared} "
            f"| `{far['variant']}` vs `{table['baseline']}` "
            f"| {_signed(100 * d['mean'])} [{_signed(100 * booted['low'])}, {_signed(100 * booted['high'])}] "
            f"| {_p(d['p_holm'])} | {improve['mean']:.2f} [{improve['low']:.2f}, {improve['high']:.2f}] "
            f"| {'> 1000' if needed is None else needed} |")


def _same_run(expected, recorded):
    """Whether a kept run's recorded config is ``expected``: equal but for where the data file was read from.

    Runs record the data path as typed, relative or absolute; the file is
    what must agree.
    """
    from kerasreg.config.recorded import as_recorded

    def file_only(config):
        return {**config, "data": {**config["data"], "source": os.path.basename(config["data"]["source"])}}

    return file_only(as_recorded(expected, recorded)) == file_only(recorded)


def shared_runs(root, spec, path):
    """A comparison's runs found among another comparison's kept runs: ``(that comparison's name, runs)``, or None.

    A small question can be part of a larger one already measured (dropout
    against none is two rows of the dropout ablation). When every variant of
    ``spec`` has a kept run of another comparison at its config, seed for
    seed (each config resolved as that comparison's runs were: its recorded
    precision and data file), those runs are this comparison's, read where
    they are kept rather than copied. ``runs`` maps a variant's name to
    ``{seed: results}``, as `kerasreg.comparison.collect_runs` does.
    """
    from kerasreg.comparison import comparison_base, variant_config
    from kerasreg.config import to_dict
    from kerasreg.recipes.cifar import EXPERIMENT

    for other in sorted(glob.glob(os.path.join(root, "docs", "results", "cifar", "compare-*", "compare.json"))):
        with open(other) as handle:
            recorded = json.load(handle)["config"]
        flags = {"data.source": recorded["data"]["source"],
                 "training.mixed_precision": recorded["training"]["mixed_precision"]}  # fmt: skip
        base = comparison_base(EXPERIMENT, spec, flags=flags, origin=path, log=lambda *_: None)
        kept = []
        for results_path in glob.glob(os.path.join(os.path.dirname(other), "*", "seed-*", "results.json")):
            with open(results_path) as handle:
                kept.append(json.load(handle))
        runs = {}
        for variant in spec.variants:
            for seed in range(spec.seeds):
                expected = to_dict(variant_config(base, variant, seed))
                found = [results for results in kept if results["seed"] == seed and _same_run(expected, results["config"])]
                if found:
                    runs.setdefault(variant.name, {})[seed] = found[0]
        if len(runs) == len(spec.variants):
            return os.path.basename(os.path.dirname(other)).removeprefix("compare-"), runs
    return None


def readme_table(root="."):
    """README's table: a row per shipped comparison file in ``recipes/``, from its kept evidence if any."""
    import sys

    sys.path.insert(0, root)
    from kerasreg.comparison.spec import load_comparison

    lines = [README_HEADER, "|" + "---|" * README_HEADER.count(" | ") + "---|"]
    for path in sorted(glob.glob(os.path.join(root, "recipes", "cifar-*.toml"))):
        if path.endswith("-tune.toml") or os.path.basename(path) == "cifar.toml":
            continue
        spec = load_comparison(path)
        kept = os.path.join(root, "docs", "results", "cifar", f"compare-{spec.name}", "comparison.json")
        table, runs_of = None, None
        if os.path.exists(kept):
            with open(kept) as handle:
                table = json.load(handle)
        elif spec.tune is None and (found := shared_runs(root, spec, path)) is not None:
            from kerasreg.comparison import summarize

            runs_of, runs = found
            rows = json.loads(json.dumps(summarize(spec, runs)))
            table = {"rows": rows, "baseline": spec.baseline, "seeds_requested": spec.seeds}
        trials = glob.glob(os.path.join(os.path.dirname(kept), "*", "tuning", "trial-*", "results.json"))
        planned = len(spec.variants) * spec.tune.trials if spec.tune else 0
        lines.append(readme_row(spec.name, table, f"`recipes/{os.path.basename(path)}`", (len(trials), planned),
                                runs_of))  # fmt: skip
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", help="the comparison's name, as in docs/results/cifar/compare-<name>")
    parser.add_argument("--time", action="store_true", help="add the mean wall time column")
    parser.add_argument("--readme", action="store_true", help="print README's table of every shipped comparison")
    args = parser.parse_args(argv)
    if args.readme:
        print(readme_table())
        return
    if args.name is None:
        parser.error("give a comparison's name, or --readme")
    path = os.path.join("docs", "results", "cifar", f"compare-{args.name}", "comparison.json")
    if not os.path.exists(path):
        parser.exit(2, f"{parser.prog}: error: no {path}; run docs/results/collect.py first\n")
    with open(path) as handle:
        table = json.load(handle)
    header = ["variant", "seeds", "test acc % (± 95% CI)", "boot 95% CI",
              f"Δ vs {table['baseline']}, pts [95% CI]", "Δ boot 95% CI", "p (paired t)", "p Holm",
              "P(improve) [95% CI]", "gap acc", "gap loss", "NLL", "Brier", "ECE", "epochs"]
    header += ["time s"] if args.time else []
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in table["rows"]:
        print(_row(row, args.time))
    for block in (_code_lines(table.get("code"), table["rows"]), _seeds_lines(table["rows"])):
        if block:
            print()
            print("\n".join(block))


if __name__ == "__main__":
    main()
