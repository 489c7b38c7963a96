"""The command line every recipe shares: ``python -m kerasreg.recipes.<name> [train|find-lr|evaluate]``.

Bad input (an unknown flag or config key, a wrong type, a missing file, a
data path without images, a ``--resume`` of something that is not a run)
ends with one line on stderr and exit code 2, before anything is written.
"""

import argparse
import json
import os
import sys

COMMANDS = ("train", "find-lr", "evaluate")
EXIT_BAD_INPUT = 2


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
    # No abbreviations: a misspelt --epoch must be an error, not --epochs.
    parser = _Parser(prog=f"python -m kerasreg.recipes.{recipe.name}", description=recipe.description, allow_abbrev=False)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    train = commands.add_parser("train", help="train and evaluate one run (the default command)", allow_abbrev=False)
    _common_flags(train, recipe)
    train.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run from its checkpoint")
    find = commands.add_parser("find-lr", help="run the LR range test on the configured model and data", allow_abbrev=False)
    _common_flags(find, recipe)
    find.add_argument("--min-lr", type=float, default=1e-6)
    find.add_argument("--max-lr", type=float, default=10.0)
    find.add_argument("--steps", type=int, default=100)
    evaluate = commands.add_parser("evaluate", help="re-evaluate a finished run on its test set", allow_abbrev=False)
    evaluate.add_argument("run_dir", metavar="RUN_DIR")
    evaluate.add_argument(
        "--test-time-augmentation",
        choices=("none", "flip"),
        help="override the run's training.test_time_augmentation (e.g. 'none' to see what 'flip' bought)",
    )
    return parser


def _default_preset(recipe, log):
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    preset = "gpu" if gpus else "cpu"
    why = f"TensorFlow sees {len(gpus)} GPU(s)" if gpus else "TensorFlow sees no GPU"
    log(f"preset: {preset} ({why}; choose with --preset)")
    return preset


def resolve_config(recipe, args, log=print):
    """Recipe defaults -> preset -> --config TOML -> --set -> direct flags."""
    from kerasreg.config import read_toml, resolve
    from kerasreg.recipes.hardware import resolve_auto_precision
    from kerasreg.schedules import with_run_length

    preset = args.preset or _default_preset(recipe, log)
    config = resolve(recipe.defaults(), overrides=[f"{k}={json.dumps(v)}" for k, v in recipe.presets[preset].items()])
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
    config.schedule = with_run_length(config.schedule, config.training.epochs)
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
    model_path = os.path.join(args.run_dir, "model.keras")
    if not os.path.isfile(model_path):
        raise ConfigError(f"{args.run_dir} has no saved model (model.keras); did the run finish?")
    prepared = engine.prepare(config, recipe)
    model = keras.models.load_model(model_path)
    metrics = engine.evaluation_model(model, config).evaluate(prepared.test, verbose=0, return_dict=True)
    print(json.dumps({k: float(v) for k, v in metrics.items()}, indent=2))


def main(recipe, argv=None):
    """Runs the CLI for ``recipe``; returns the exit code."""
    from kerasreg.config import ConfigError
    from kerasreg.data import DataError

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(recipe)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        if argv and not argv[0].startswith("-"):
            print(f"{parser.prog}: error: unknown command '{argv[0]}'; choose from {', '.join(COMMANDS)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        argv.insert(0, "train")
    try:
        args = parser.parse_args(argv)
        {"train": _train, "find-lr": _find_lr, "evaluate": _evaluate}[args.command](recipe, args)
    except (UsageError, ConfigError, DataError) as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except FloatingPointError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted; continue with --resume RUN_DIR", file=sys.stderr)
        return 130
    return 0
