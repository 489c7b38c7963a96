"""kerasreg.comparison: variants x seeds as runs, compared with intervals and paired tests.

`load_comparison` reads the TOML file, `run_comparison` runs it through the
engine, `summarize` / `markdown` / `csv_text` make the table, and
`mean_interval` / `paired_difference` (SciPy's t distribution),
`bootstrap_interval`, `probability_of_improvement`, `holm` and
`paired_t_power` / `seeds_needed` are the statistics.
"""

from kerasreg.lazy import lazy_attributes

# Loaded on first use (`kerasreg.lazy`): a command line parses a comparison
# file before it loads TensorFlow.
_LOCATIONS = {
    "bootstrap_interval": "kerasreg.comparison.statistics",
    "check_comparison": "kerasreg.comparison.runner",
    "check_variants": "kerasreg.comparison.spec",
    "collect_runs": "kerasreg.comparison.reports",
    "comparison_base": "kerasreg.comparison.runner",
    "comparison_dir": "kerasreg.comparison.runner",
    "ComparisonResult": "kerasreg.comparison.reports",
    "ComparisonSpec": "kerasreg.comparison.spec",
    "csv_text": "kerasreg.comparison.table",
    "holm": "kerasreg.comparison.statistics",
    "Interval": "kerasreg.comparison.statistics",
    "load_comparison": "kerasreg.comparison.spec",
    "markdown": "kerasreg.comparison.table",
    "mean_interval": "kerasreg.comparison.statistics",
    "METRICS": "kerasreg.comparison.table",
    "metrics_of": "kerasreg.comparison.table",
    "paired_difference": "kerasreg.comparison.statistics",
    "paired_t_power": "kerasreg.comparison.statistics",
    "PairedDifference": "kerasreg.comparison.statistics",
    "performance_profile": "kerasreg.comparison.profiles",
    "probability_of_improvement": "kerasreg.comparison.statistics",
    "profile_times": "kerasreg.comparison.profiles",
    "Report": "kerasreg.comparison.reports",
    "run_comparison": "kerasreg.comparison.runner",
    "run_study": "kerasreg.comparison.uncertainty",
    "seeds_needed": "kerasreg.comparison.statistics",
    "UncertaintySpec": "kerasreg.comparison.uncertainty",
    "summarize": "kerasreg.comparison.table",
    "Variant": "kerasreg.comparison.spec",
    "variant_config": "kerasreg.comparison.variants",
    "write_report": "kerasreg.comparison.reports",
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
    "bootstrap_interval",
    "check_comparison",
    "comparison_base",
    "check_variants",
    "collect_runs",
    "comparison_dir",
    "csv_text",
    "holm",
    "load_comparison",
    "markdown",
    "mean_interval",
    "metrics_of",
    "paired_difference",
    "paired_t_power",
    "performance_profile",
    "probability_of_improvement",
    "profile_times",
    "run_comparison",
    "run_study",
    "seeds_needed",
    "summarize",
    "variant_config",
    "write_report",
]

__getattr__, __dir__ = lazy_attributes(__name__, _LOCATIONS)
