"""kerasreg.comparison: variants x seeds as runs, compared with intervals and paired tests.

`load_comparison` reads the TOML file, `run_comparison` runs it through the
engine, `summarize` / `markdown` / `csv_text` make the table, and
`mean_interval` / `paired_difference` are the statistics (SciPy's t
distribution).
"""

from kerasreg.comparison.runner import (
    ComparisonResult,
    check_comparison,
    comparison_base,
    Report,
    collect_runs,
    comparison_dir,
    run_comparison,
    variant_config,
    write_report,
)
from kerasreg.comparison.spec import ComparisonSpec, Variant, check_variants, load_comparison
from kerasreg.comparison.statistics import Interval, PairedDifference, mean_interval, paired_difference
from kerasreg.comparison.table import METRICS, csv_text, markdown, metrics_of, summarize

__all__ = [
    "METRICS",
    "ComparisonResult",
    "ComparisonSpec",
    "Interval",
    "PairedDifference",
    "Report",
    "Variant",
    "check_comparison",
    "comparison_base",
    "check_variants",
    "collect_runs",
    "comparison_dir",
    "csv_text",
    "load_comparison",
    "markdown",
    "mean_interval",
    "metrics_of",
    "paired_difference",
    "run_comparison",
    "summarize",
    "variant_config",
    "write_report",
]
