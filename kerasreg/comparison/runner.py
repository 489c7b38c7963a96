"""`run_comparison`: every variant x seed as a normal run, then the table, its files and the chart.

Layout under ``<logdir>/<experiment>/compare-<name>/``:

- ``<variant>/seed-<s>/``: a complete run (the engine's ``train``), with
  TensorBoard scalars and HParams: the run's whole config plus
  ``variant``; the folder's experiment summary lists the varied keys,
  ``variant`` and the seed, so TensorBoard's HParams dashboard compares
  the runs.
- ``comparison.json`` (rows with every interval, bootstrap interval,
  paired and Holm-adjusted test and seed count, and which runs ran on
  which machine), ``comparison.md`` (with that machine note),
  ``comparison.csv`` and ``comparison.png``, rewritten (atomically) after
  every run; the table (text) and the chart (image) also go to the
  folder's TensorBoard events, stepped by the number of finished runs.
- ``compare.json``: what the folder holds (variants and base config), so a
  rerun with a changed file is refused instead of mixing results.

Before the first run every variant's config is built and checked: a value
the model ignores, or two variants that would train the same model the
same way, stop the comparison with the key named (`kerasreg.engine.noops`).

Runs go seed-major (seed 0 of every variant, then seed 1, ...), so an
interrupted comparison is balanced. Each starts with a line ``run k of N:
<variant> seed <s> (ETA ...)``: the time the runs left would take at the
mean duration of those this process has trained. Rerunning skips finished
runs (``results.json``), resumes a run interrupted after a checkpoint, and
restarts one interrupted before. Raising ``seeds`` in the file adds runs.
"""

import dataclasses
import json
import os
import time

from kerasreg.comparison.reports import ComparisonResult, collect_runs, write_report
from kerasreg.comparison.spec import check_variants
from kerasreg.comparison.variants import flat_config, variant_config
from kerasreg.config import ConfigError, to_dict
from kerasreg.config.recorded import as_recorded
from kerasreg import engine
from kerasreg.engine.progress import duration
from kerasreg.engine.run_files import read_json, write_json_atomic
from kerasreg.tuning.distribution import distributed, is_chief_or_alone


def comparison_dir(config, task, spec):
    return os.path.join(config.logging.logdir, task.name, f"compare-{spec.name}")


def _write_experiment_hparams(root, spec, configs):
    """The folder's HParams experiment: the variant, every varied key and the seed.

    A key's domain is the values the runs log for it (``flat_config`` of each
    variant's config), so a list such as ``data.augment`` is its text, as
    in the runs, and a variant that leaves a key at the base's value adds
    that value.
    """
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    hparams = [hp.HParam("variant", hp.Discrete([v.name for v in spec.variants]))]
    logged = [flat_config(config) for config in configs]
    for key in spec.varied_keys():
        values = sorted({flat[key] for flat in logged if key in flat}, key=repr)
        same_type = len({type(v) for v in values}) == 1
        hparams.append(hp.HParam(key, hp.Discrete(values) if same_type else None))
    hparams.append(hp.HParam("training.seed"))
    metrics = [hp.Metric("final/test_accuracy", display_name="test accuracy"),
               hp.Metric("final/test_nll", display_name="test NLL"),
               hp.Metric("final/test_ece", display_name="test ECE"),
               hp.Metric("epoch_accuracy", group="validation", display_name="val accuracy"),
               hp.Metric("epoch_accuracy", group="train", display_name="train accuracy")]  # fmt: skip
    writer = tf.summary.create_file_writer(root)
    with writer.as_default():
        hp.hparams_config(hparams=hparams, metrics=metrics)
    writer.close()


def comparison_identity(base, spec):
    """What ``compare.json`` records: the variants and the base config, as JSON would read them back."""
    identity = {"variants": [{"name": v.name, "values": v.values} for v in spec.variants], "config": to_dict(base)}
    if spec.tune is not None:  # absent otherwise, so that folders of untuned comparisons still resume
        identity["tune"] = {**dataclasses.asdict(spec.tune), "seed": spec.tune.seed_for(base.training.seed),
                            "variants": {v.name: v.tune for v in spec.variants if v.tune}}  # fmt: skip
    return json.loads(json.dumps(identity))


def comparison_base(task, spec, *, preset=None, config_file=None, overrides=(), flags=None, origin=None, log=print):
    """The base config of a comparison: the spec's preset, experiment file and ``[set]``; the caller's wins.

    ``preset``/``config_file``/``overrides``/``flags`` are what the caller
    adds (the command line's); each variant's values go on top per run
    (`variant_config`). Every variant is checked against the result.
    """
    shared = [f"{k}={json.dumps(v)}" for k, v in spec.shared.items()]
    base = engine.resolve_config(task, preset=preset or spec.preset, config_file=config_file or spec.config,
                                 overrides=shared + list(overrides), flags=flags, log=log, derive_schedule=False)  # fmt: skip
    check_variants(origin or spec.name, spec, base)
    return base


def check_comparison(task, configs, spec, log=print):
    """Builds every variant's model and refuses silent no-ops and variants that train the same."""
    dataset = task.load_data(next(iter(configs.values())))
    engine.check_variant_noops(task, configs, {v.name: v.values for v in spec.variants}, dataset)
    engine.check_distinct(task, configs, dataset)
    log(f"checked {len(configs)} variants: each changes the model or its training")


def run_comparison(task, base, spec, *, log=print):
    """Runs (or continues) a comparison; returns a `ComparisonResult`. See the module docstring.

    A comparison with ``[tune]``, or one started as a chief or worker of
    KerasTuner's distributed mode, runs through `kerasreg.comparison.dispatch`
    (its report is None on a worker).
    """
    from kerasreg.comparison import dispatch

    root = comparison_dir(base, task, spec)
    metric = task.objective_for(base).metric
    identity = comparison_identity(base, spec)
    previous = read_json(os.path.join(root, "compare.json"))
    if previous is not None and isinstance(previous.get("config"), dict):
        # Written by an older kerasreg: keys added since, at their defaults, change nothing.
        identity = {**identity, "config": as_recorded(identity["config"], previous["config"])}
    if previous is not None and previous != identity:
        changed = [k for k in identity if previous.get(k) != identity[k]]
        raise ConfigError(f"{root} holds a different comparison ({', '.join(changed)} changed); "
                          "rename it (name = ...) or delete that folder")  # fmt: skip
    seeds = [base.training.seed + i for i in range(spec.seeds)]
    if spec.tune is not None and spec.tune.seed_for(base.training.seed) in seeds:
        raise ConfigError(f"[tune] seed {spec.tune.seed_for(base.training.seed)} is also a final run's seed "
                          f"({seeds[0]}..{seeds[-1]}); pick another, so that no final run repeats a tuning run")  # fmt: skip
    configs = {(v.name, s): variant_config(base, v, s) for s in seeds for v in spec.variants}  # all checked first
    chief = is_chief_or_alone()
    if chief:
        check_comparison(task, {v.name: configs[(v.name, seeds[0])] for v in spec.variants}, spec, log)
    os.makedirs(root, exist_ok=True)
    if previous is None and chief:
        _write_experiment_hparams(root, spec, [configs[(v.name, seeds[0])] for v in spec.variants])
        write_json_atomic(os.path.join(root, "compare.json"), identity)
    if spec.tune is not None or distributed():
        return dispatch.run_dispatched(task, base, spec, root, seeds, origin=spec.name, log=log)

    failed = []
    report = None  # the report of the latest write, None while one is owed
    total, done = len(configs), 0
    run_dirs = {(v.name, s): os.path.join(root, v.folder, f"seed-{s}") for s in seeds for v in spec.variants}
    left = sum(not os.path.isfile(os.path.join(d, "results.json")) for d in run_dirs.values())
    durations = []  # of the runs trained in this process: the ETA's estimate
    for seed in seeds:
        for variant in spec.variants:
            done += 1
            run = f"run {done} of {total}: {variant.name} seed {seed}"
            run_dir = run_dirs[(variant.name, seed)]
            if os.path.isfile(os.path.join(run_dir, "results.json")):
                log(f"{run}: done already")
                continue
            eta = f" (ETA {duration(left * sum(durations) / len(durations))})" if durations else ""
            log(run + eta)
            left -= 1
            config = configs[(variant.name, seed)]
            hparams = {**flat_config(config), "variant": variant.name}
            started = time.perf_counter()
            try:
                _, results = engine.train_into(run_dir, config, task, hparams=hparams, log=log, check_noops=False)
            except FloatingPointError as error:
                failed.append({"variant": variant.name, "seed": seed, "error": str(error)})
                log(f"{run}: failed: {error}")
                report = None
                continue
            durations.append(time.perf_counter() - started)
            score = results["test"].get(metric, results["objective"]["best"])
            log(f"{run}: test {metric} {score:.4f} ({duration(durations[-1])})")
            report = write_report(root, spec, collect_runs(root, spec, seeds), failed, metric=metric)
    if report is None:  # no run finished in this call, or one failed after the last write
        report = write_report(root, spec, collect_runs(root, spec, seeds), failed, metric=metric)
    return ComparisonResult(root, report, failed)
