"""kerasreg.comparison: variants x seeds as runs, compared with intervals and paired tests.

`load_comparison` reads the TOML file, `run_comparison` runs it through the
engine, `summarize` / `markdown` / `csv_text` make the table, and
`mean_interval` / `paired_difference` are the statistics (SciPy's t
distribution).
"""

from kerasreg.lazy import lazy_attributes

# Loaded on first use (`kerasreg.lazy`): a command line parses a comparison
# file before it loads TensorFlow.
_LOCATIONS = {
    "check_comparison": "kerasreg.comparison.runner",
    "check_variants": "kerasreg.comparison.spec",
    "collect_runs": "kerasreg.comparison.runner",
    "comparison_base": "kerasreg.comparison.runner",
    "comparison_dir": "kerasreg.comparison.runner",
    "ComparisonResult": "kerasreg.comparison.runner",
    "ComparisonSpec": "kerasreg.comparison.spec",
    "csv_text": "kerasreg.comparison.table",
    "Interval": "kerasreg.comparison.statistics",
    "load_comparison": "kerasreg.comparison.spec",
    "markdown": "kerasreg.comparison.table",
    "mean_interval": "kerasreg.comparison.statistics",
    "METRICS": "kerasreg.comparison.table",
    "metrics_of": "kerasreg.comparison.table",
    "paired_difference": "kerasreg.comparison.statistics",
    "PairedDifference": "kerasreg.comparison.statistics",
    "Report": "kerasreg.comparison.runner",
    "run_comparison": "kerasreg.comparison.runner",
    "run_study": "kerasreg.comparison.uncertainty",
    "UncertaintySpec": "kerasreg.comparison.uncertainty",
    "summarize": "kerasreg.comparison.table",
    "Variant": "kerasreg.comparison.spec",
    "variant_config": "kerasreg.comparison.runner",
    "write_report": "kerasreg.comparison.runner",
}

__all__ = [
    "METRICS",
    "ComparisonResult",
    "ComparisonSpec",
    "Interval",
    "PairedDifference",
    "Report",
    "UncertaintySpec",
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
    "run_study",
    "summarize",
    "variant_config",
    "write_report",
]

__getattr__, __dir__ = lazy_attributes(__name__, _LOCATIONS)
