"""Prints a comparison's table in the format of docs/results.md, from its ``comparison.json``.

docs/results.md rounds as this prints (accuracy and differences in points to two
decimals, p to two significant figures, the rest to three decimals, epochs
and seconds to whole numbers); ``tests/comparison/test_results_tables.py``
reads that page's tables back against the same files. Variant names come
out as the comparison file spells them: give them plainer labels by hand.
Run from the repository root:

    python docs/results/results_table.py schedules [--time]

``--time`` adds the mean wall time, for comparisons whose runs all ran on
one machine (``comparison.md`` ends with which runs ran where).
"""

import argparse
import json
import os


def _signed(points):
    return f"{points:+.2f}".replace("-", "−")


def _row(row, time):
    accuracy = row["test_accuracy"]
    cells = [row["variant"], str(len(row["seeds"])),
             f"{100 * accuracy['mean']:.2f} ± {50 * (accuracy['high'] - accuracy['low']):.2f}"]
    if row["baseline"]:
        cells += ["baseline", ""]
    else:
        d = row["difference"]
        cells += [f"{_signed(100 * d['mean'])} [{_signed(100 * d['low'])}, {_signed(100 * d['high'])}]",
                  f"{d['p_value']:#.2g}"]
    cells += [f"{row[key]['mean']:.3f}".replace("-", "−")
              for key in ("gap_accuracy", "gap_loss", "test_nll", "test_brier", "test_ece")]
    cells.append(f"{row['epochs']['mean']:.0f}")
    if time:
        cells.append(f"{row['wall_seconds']['mean']:.0f}")
    return "| " + " | ".join(cells) + " |"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="the comparison's name, as in docs/results/cifar/compare-<name>")
    parser.add_argument("--time", action="store_true", help="add the mean wall time column")
    args = parser.parse_args(argv)
    path = os.path.join("docs", "results", "cifar", f"compare-{args.name}", "comparison.json")
    if not os.path.exists(path):
        parser.exit(2, f"{parser.prog}: error: no {path}; run docs/results/collect.py first\n")
    with open(path) as handle:
        table = json.load(handle)
    header = ["variant", "seeds", "test acc % (± 95% CI)", f"Δ vs {table['baseline']}, pts [95% CI]",
              "p (paired t)", "gap acc", "gap loss", "NLL", "Brier", "ECE", "epochs"] + (["time s"] if args.time else [])
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in table["rows"]:
        print(_row(row, args.time))


if __name__ == "__main__":
    main()
