"""The command line every recipe shares: ``python -m kerasreg.recipes.<name> [train|find-lr|evaluate|tune|compare]``.

Bad input (an unknown flag or config key, a wrong type, a missing file, a
data path without images, a ``--resume`` of something that is not a run)
ends with one line on stderr and exit code 2, before anything is written.
"""

import argparse
import json
import os
import sys

COMMANDS = ("train", "find-lr", "evaluate", "tune", "compare", "ensemble")
EXIT_BAD_INPUT = 2
# What to run after Ctrl-C to carry on; commands not named have nothing to carry on.
RESUME_HINTS = {
    "train": "; continue with --resume RUN_DIR",
    "tune": "; rerun the same command to continue (finished trials are kept)",
    "compare": "; rerun the same command to continue (finished runs are kept)",
    "ensemble": "; rerun the same command to continue (finished members are kept)",
}


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the usage block and exits itself; kerasreg wants one
    # line and the same exit code for every kind of bad input.
    def error(self, message):
        raise UsageError(message)


def _common_flags(parser, recipe):
    parser.add_argument("--config", metavar="TOML", help=f"experiment file, e.g. recipes/{recipe.name}.toml")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="override one config value (repeatable), e.g. --set regularization.dropout=mc")
    parser.add_argument("--preset", choices=sorted(recipe.presets),
                        help="smoke (synthetic, seconds), cpu (2-core CPU), gpu (full size); "
                             "default: gpu if TensorFlow sees a GPU, else cpu")
    parser.add_argument("--data", help=f"{recipe.builtin_data} (default, downloads), synthetic, a "
                        "cifar-10-batches-py folder or .tar.gz, an image-folder tree (train/<class>/*, "
                        "test/<class>/*) or its .tar.gz, or an .npz")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--logdir", help="root of the run directories (default logs)")
    parser.add_argument("--mixed-precision", choices=("none", "mixed_float16", "mixed_bfloat16", "auto"))
    parser.add_argument("--jit", action="store_true", default=None, help="XLA-compile the train step (off by default)")


def build_parser(recipe):
    from kerasreg.config.sections import TEST_TIME_AUGMENTATIONS

    # No abbreviations: a misspelt --epoch must be an error, not --epochs.
    parser = _Parser(prog=f"python -m kerasreg.recipes.{recipe.name}", description=recipe.description, allow_abbrev=False)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    train = commands.add_parser("train", help="train and evaluate one run (the default command)", allow_abbrev=False)
    _common_flags(train, recipe)
    train.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run from its checkpoint")
    train.add_argument("--ensemble", type=int, metavar="K",
                       help="train K members (seeds seed..seed+K-1) and score their averaged probabilities")
    find = commands.add_parser("find-lr", help="run the LR range test on the configured model and data", allow_abbrev=False)
    _common_flags(find, recipe)
    find.add_argument("--min-lr", type=float, default=1e-6)
    find.add_argument("--max-lr", type=float, default=10.0)
    find.add_argument("--steps", type=int, default=100)
    evaluate = commands.add_parser("evaluate", help="re-evaluate a finished run on its test set", allow_abbrev=False)
    evaluate.add_argument("run_dir", metavar="RUN_DIR")
    evaluate.add_argument(
        "--test-time-augmentation",
        choices=TEST_TIME_AUGMENTATIONS,
        help="override the run's training.test_time_augmentation (e.g. 'none' to see what 'flip' bought)",
    )
    evaluate.add_argument("--mc-samples", type=int, metavar="N",
                          help="also score the mean of N Monte Carlo dropout samples: accuracy, NLL, ECE, "
                               "reliability diagrams (written to the run and its TensorBoard)")
    tune = commands.add_parser("tune", help="search hyperparameters with KerasTuner (space in TOML)", allow_abbrev=False)
    _common_flags(tune, recipe)
    tune.add_argument("--space", required=True, metavar="TOML", help=f"search space, e.g. recipes/{recipe.name}-tune.toml")
    tune.add_argument("--tuner", choices=("random", "grid", "bayesian", "hyperband"), default="random")
    tune.add_argument("--max-trials", type=int, default=10, help="trials of random, grid and bayesian (default 10)")
    tune.add_argument("--max-consecutive-failures", type=int, default=3,
                      help="stop the search after this many failed trials in a row (default 3)")
    tune.add_argument("--median-stopping", action="store_true",
                      help="stop a trial whose val accuracy at epoch k is below the median of completed trials at k")
    tune.add_argument("--keep-checkpoints", choices=("best", "all"), default="best",
                      help="trial checkpoints to keep (default: the best trial's only)")
    tune.add_argument("--distributed", choices=("chief", "worker"),
                      help="KerasTuner's distributed mode: the chief runs the oracle, workers run trials")
    tune.add_argument("--oracle", metavar="HOST:PORT", help="the chief's address (KERASTUNER_ORACLE_IP/PORT)")
    tune.add_argument("--tuner-id", help="this worker's name (KERASTUNER_TUNER_ID; default worker-<pid>)")
    compare = commands.add_parser("compare", help="compare variants over seeds with intervals and paired tests",
                                  allow_abbrev=False)  # fmt: skip
    _common_flags(compare, recipe)
    compare.add_argument("file", metavar="TOML", help=f"comparison file, e.g. recipes/{recipe.name}-dropout-ablation.toml")
    ensemble = commands.add_parser("ensemble", help="score the averaged probabilities of finished runs",
                                   allow_abbrev=False)  # fmt: skip
    ensemble.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    ensemble.add_argument("--output", metavar="DIR", help="also write ensemble.json and ensemble.md here")
    return parser


def _default_preset(recipe, log):
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    preset = "gpu" if gpus else "cpu"
    why = f"TensorFlow sees {len(gpus)} GPU(s)" if gpus else "TensorFlow sees no GPU"
    log(f"preset: {preset} ({why}; choose with --preset)")
    return preset


def resolve_config(recipe, args, log=print, derive_schedule=True):
    """Recipe defaults -> preset -> --config TOML -> --set -> direct flags.

    ``derive_schedule=False`` leaves the schedule's run length for later
    (a search sets it per trial, after the trial's own values).
    """
    from kerasreg.config import ConfigError, read_toml, resolve, with_values
    from kerasreg.recipes.hardware import resolve_auto_precision
    from kerasreg.schedules import with_run_length

    preset = args.preset or _default_preset(recipe, log)
    # A preset naming another schedule or optimizer replaces that table (`with_values`).
    config = with_values(recipe.defaults(), recipe.presets[preset], origin=f"preset '{preset}'")
    toml = read_toml(args.config) if args.config else None
    flags = {
        "data.source": args.data,
        "training.epochs": args.epochs,
        "training.batch_size": args.batch_size,
        "training.seed": args.seed,
        "logging.logdir": args.logdir,
        "training.mixed_precision": args.mixed_precision,
        "training.jit_compile": args.jit,
    }
    config = resolve(config, toml=toml, toml_origin=args.config, overrides=args.overrides, flags=flags)
    # Derived values belong in the recorded config: the schedule spans the
    # run, and "auto" precision is what this machine chose.
    if derive_schedule:
        try:
            config.schedule = with_run_length(config.schedule, config.training.epochs)
        except ValueError as error:
            raise ConfigError(str(error).splitlines()[0]) from None
    resolve_auto_precision(config, log)
    return config


def _config_of_run(run_dir):
    from kerasreg.config import ConfigError, build

    path = os.path.join(run_dir, "config.json")
    if not os.path.isfile(path):
        raise ConfigError(f"{run_dir} is not a kerasreg run directory (no config.json)")
    try:
        with open(path) as handle:
            return build(json.load(handle))
    except (OSError, json.JSONDecodeError) as error:
        raise ConfigError(f"cannot read the config of run {run_dir}: {error}") from None


def _train(recipe, args):
    from kerasreg.config import ConfigError
    from kerasreg.recipes import engine

    if args.ensemble is not None:
        if args.resume:
            raise ConfigError("--ensemble and --resume do not go together; rerun the --ensemble command to continue")
        _train_ensemble(recipe, args)
        return
    if args.resume:
        config = _config_of_run(args.resume)
        if os.path.exists(os.path.join(args.resume, "results.json")):
            # Its test set was evaluated once already; re-evaluating is `evaluate`'s job.
            raise ConfigError(f"run {args.resume} already finished (results.json exists); use: evaluate {args.resume}")
        run_dir, results = engine.train(config, recipe, resume_dir=args.resume)
    else:
        config = resolve_config(recipe, args)
        run_dir, results = engine.train(config, recipe)
    where = run_dir or "this worker's part is done; worker 0 wrote the run"
    print(f"\n{recipe.name}: {where}\n{engine.summary_table(results)}")


def _train_ensemble(recipe, args):
    from kerasreg.recipes import ensemble

    config = resolve_config(recipe, args)
    folder, run_dirs = ensemble.train_members(recipe, config, args.ensemble)
    report = ensemble.evaluate_ensemble(recipe, run_dirs)
    ensemble.write_report(folder, report)
    print(f"\n{recipe.name} ensemble: {folder}\n\n{ensemble.markdown(report)}")


def _ensemble(recipe, args):
    from kerasreg.recipes import ensemble

    report = ensemble.evaluate_ensemble(recipe, args.run_dirs)
    if args.output:
        ensemble.write_report(args.output, report)
    print(f"\n{ensemble.markdown(report)}")


def _find_lr(recipe, args):
    from kerasreg.recipes import engine
    from kerasreg.recipes.run_files import create_run_dir
    from kerasreg.schedules import find_lr

    config = resolve_config(recipe, args)
    prepared = engine.prepare(config, recipe)
    result = find_lr(prepared.model, prepared.train.repeat(), min_lr=args.min_lr, max_lr=args.max_lr, num_steps=args.steps)
    run_dir = create_run_dir(config.logging.logdir, recipe.name, config, kind="find-lr")
    plot = result.plot(os.path.join(run_dir, "lr_finder.png"))
    print(f"suggested learning rate: {result.suggestion:.3g} (steepest descent), {result.valley:.3g} (valley)")
    print(f"plot: {plot}")


def _evaluate(recipe, args):
    import keras

    import kerasreg  # noqa: F401 - registers kerasreg objects for loading
    from kerasreg.config import ConfigError
    from kerasreg.recipes import engine

    config = _config_of_run(args.run_dir)
    if args.test_time_augmentation is not None:
        config.training.test_time_augmentation = args.test_time_augmentation
    if args.mc_samples is not None and args.mc_samples < 1:
        raise ConfigError(f"--mc-samples must be >= 1; got {args.mc_samples}")
    model_path = os.path.join(args.run_dir, "model.keras")
    if not os.path.isfile(model_path):
        raise ConfigError(f"{args.run_dir} has no saved model (model.keras); did the run finish?")
    prepared = engine.prepare(config, recipe)
    model = keras.models.load_model(model_path)
    if args.mc_samples is None:
        metrics = engine.evaluation_model(model, config).evaluate(prepared.test, verbose=0, return_dict=True)
        print(json.dumps({k: float(v) for k, v in metrics.items()}, indent=2))
        return
    from kerasreg.recipes.mc_evaluation import evaluate_mc

    report = evaluate_mc(args.run_dir, config, model, prepared, args.mc_samples)
    print(json.dumps({k: report[k] for k in ("samples", "deterministic", "mc")}, indent=2))
    print(f"reliability diagrams: {os.path.join(args.run_dir, 'reliability.png')}, reliability-mc.png; "
          f"report: {os.path.join(args.run_dir, 'evaluation-mc.json')}")


def _distributed_environment(args):
    """Sets KerasTuner's chief/worker variables from the flags (the variables may also be set directly)."""
    from kerasreg.config import ConfigError

    if args.oracle:
        host, _, port = args.oracle.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"--oracle expects HOST:PORT; got {args.oracle!r}")
        os.environ["KERASTUNER_ORACLE_IP"], os.environ["KERASTUNER_ORACLE_PORT"] = host, port
    if args.distributed:
        if "KERASTUNER_ORACLE_IP" not in os.environ or "KERASTUNER_ORACLE_PORT" not in os.environ:
            raise ConfigError(f"--distributed {args.distributed} needs --oracle HOST:PORT "
                              "(or KERASTUNER_ORACLE_IP and KERASTUNER_ORACLE_PORT)")  # fmt: skip
        os.environ["KERASTUNER_TUNER_ID"] = "chief" if args.distributed == "chief" else (
            args.tuner_id or f"worker-{os.getpid()}")
    elif "KERASTUNER_ORACLE_IP" in os.environ and "KERASTUNER_TUNER_ID" not in os.environ:
        raise ConfigError("KERASTUNER_ORACLE_IP is set but KERASTUNER_TUNER_ID is not; use --distributed chief|worker")


def _train_prefix(recipe, args):
    """The ``train`` command with this invocation's config flags (for the best trial's command)."""
    parts = ["python", "-m", f"kerasreg.recipes.{recipe.name}"]
    for flag, value in (("--preset", args.preset), ("--config", args.config), ("--data", args.data),
                        ("--epochs", args.epochs), ("--batch-size", args.batch_size), ("--seed", args.seed),
                        ("--logdir", args.logdir), ("--mixed-precision", args.mixed_precision)):  # fmt: skip
        if value is not None:
            parts += [flag, str(value)]
    for assignment in args.overrides:
        parts += ["--set", assignment]
    return parts


def _tune(recipe, args):
    from kerasreg.config import ConfigError
    from kerasreg.tuning import load_space, run_search, top_table

    for name in ("max_trials", "max_consecutive_failures"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be >= 1; got {getattr(args, name)}")
    _distributed_environment(args)
    base = resolve_config(recipe, args, derive_schedule=False)
    space = load_space(args.space, base)
    root, results = run_search(
        recipe, base, space, kind=args.tuner, max_trials=args.max_trials,
        max_consecutive_failures=args.max_consecutive_failures, median_stopping=args.median_stopping,
        keep_checkpoints=args.keep_checkpoints, command_prefix=_train_prefix(recipe, args),
    )  # fmt: skip
    if results is None:
        print(f"\n{recipe.name} tune: this worker is done; the chief writes the results in {root}")
        return
    print(f"\n{recipe.name} tune: {root}\n{top_table(results['trials'])}")
    best = results.get("best")
    if best:
        print(f"best trial {best['trial_id']}: val accuracy {best['validation_accuracy']:.4f}, "
              f"test accuracy {best['test'].get('accuracy', float('nan')):.4f} (evaluated once)")
        print(f"train it: {best['command']}")


def comparison_base(recipe, args, spec, log=print):
    """The base config of a comparison: the file's preset, experiment file and [set]; the command line wins."""
    from kerasreg.comparison import check_variants

    args.preset = args.preset or spec.preset
    args.config = args.config or spec.config
    args.overrides = [f"{k}={json.dumps(v)}" for k, v in spec.shared.items()] + list(args.overrides)
    base = resolve_config(recipe, args, log=log, derive_schedule=False)
    check_variants(args.file, spec, base)
    return base


def _compare(recipe, args):
    from kerasreg.comparison import load_comparison, run_comparison

    spec = load_comparison(args.file)
    base = comparison_base(recipe, args, spec)
    result = run_comparison(recipe, base, spec)
    root = result.folder
    print(f"\n{recipe.name} compare: {root}\n\n{result.report.markdown}")
    print(f"table: {os.path.join(root, 'comparison.md')} (also .csv, .json; chart: comparison.png)")
    for failure in result.failed:
        print(f"failed: {failure['variant']} seed {failure['seed']}: {failure['error']} (rerun to retry)",
              file=sys.stderr)
    if result.failed:  # the table is written but lacks these runs: exit 1 so that scripts can tell
        return 1
    return 0


def main(recipe, argv=None):
    """Runs the CLI for ``recipe``; returns the exit code."""
    from kerasreg.config import ConfigError
    from kerasreg.data import DataError
    from kerasreg.tuning.search import SearchStopped

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(recipe)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        if argv and not argv[0].startswith("-"):
            print(f"{parser.prog}: error: unknown command '{argv[0]}'; choose from {', '.join(COMMANDS)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        argv.insert(0, "train")
    args = None
    try:
        args = parser.parse_args(argv)
        code = {"train": _train, "find-lr": _find_lr, "evaluate": _evaluate, "tune": _tune,
                "compare": _compare, "ensemble": _ensemble}[args.command](recipe, args)
    except (UsageError, ConfigError, DataError) as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SearchStopped as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 1
    except FloatingPointError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted{RESUME_HINTS.get(getattr(args, 'command', None), '')}", file=sys.stderr)
        return 130
    return code or 0
