"""The command line of every experiment: ``python -m kerasreg COMMAND --experiment MODULE:NAME``.

A recipe module runs the same commands with its experiment built in
(``python -m kerasreg.recipes.cifar COMMAND``). The CLI only translates
flags into `kerasreg.Experiment` / engine calls. Bad input (an unknown flag
or config key, a wrong type, a missing file, a data path without images,
a ``--resume`` of something that is not a run) ends with one line on
stderr and exit code 2, before anything is written.
"""

import argparse
import json
import os
import shlex
import sys

from kerasreg.cli.experiments import ExperimentNotFound, experiment_of_run, load_experiment, recorded_reference
from kerasreg.comparison import comparison_base, load_comparison, run_comparison
from kerasreg.config import ConfigError
from kerasreg.config.sections import MIXED_PRECISION, TEST_TIME_AUGMENTATIONS
from kerasreg.data import DataError
from kerasreg.engine import prepare, resolve_config, summary_table, train
from kerasreg.engine.ensemble import evaluate_ensemble, markdown as ensemble_markdown, train_members, \
    write_report as write_ensemble_report  # fmt: skip
from kerasreg.engine.run_files import create_run_dir
from kerasreg.experiment import config_of_run
from kerasreg.tuning import TUNERS, SearchStopped, load_space, run_search, top_table

COMMANDS = ("train", "find-lr", "evaluate", "tune", "compare", "ensemble")
EXIT_BAD_INPUT = 2
# What to run after Ctrl-C to carry on; commands not named have nothing to carry on.
RESUME_HINTS = {
    "tune": "; rerun the same command to continue (finished trials are kept)",
    "compare": "; rerun the same command to continue (finished runs are kept)",
    "ensemble": "; rerun the same command to continue (finished members are kept)",
}


def _carry_on_hint(args, error):
    """What to run after Ctrl-C: for a run, its real directory, or that nothing was kept."""
    command = getattr(args, "command", None)
    if command == "train" and getattr(args, "ensemble", None):
        return RESUME_HINTS["ensemble"]
    if command == "train":
        run_dir = getattr(error, "run_dir", None)
        return f"; continue with --resume {run_dir}" if run_dir else "; no epoch had finished, so nothing was kept"
    return RESUME_HINTS.get(command, "")


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the usage block and exits itself; kerasreg wants one
    # line and the same exit code for every kind of bad input.
    def error(self, message):
        raise UsageError(message)


def _common_flags(parser, experiment, generic):
    if generic:
        parser.add_argument("--experiment", metavar="MODULE:NAME",
                            help="the experiment to run: a kerasreg.Experiment importable as MODULE:NAME "
                                 "(e.g. kerasreg.recipes.cifar:EXPERIMENT, or mymodel.py:EXP)")  # fmt: skip
    parser.add_argument("--config", metavar="TOML", help="experiment file, e.g. recipes/cifar.toml")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="override one config value (repeatable), e.g. --set regularization.dropout=mc")
    presets = sorted(experiment.presets) if experiment is not None else None
    parser.add_argument("--preset", choices=presets,
                        help="smoke (synthetic, seconds), cpu (2-core CPU), gpu (full size); "
                             "default: gpu if TensorFlow sees a GPU, else cpu (where the experiment has them)")
    parser.add_argument("--data", help="a data source: cifar10/fashion_mnist (downloads), synthetic, a "
                        "cifar-10-batches-py folder or .tar.gz, an image-folder tree (train/<class>/*, "
                        "test/<class>/*) or its .tar.gz, or an .npz")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--logdir", help="root of the run directories (default logs)")
    parser.add_argument("--mixed-precision", choices=MIXED_PRECISION)
    parser.add_argument("--jit", action="store_true", default=None, help="XLA-compile the train step (off by default)")


def build_parser(experiment, prog, generic=False):
    """The argument parser; ``generic``: the ``python -m kerasreg`` form, which takes ``--experiment``."""
    description = experiment.description if experiment is not None else "Run a kerasreg experiment."
    # No abbreviations: a misspelt --epoch must be an error, not --epochs.
    parser = _Parser(prog=prog, description=description, allow_abbrev=False)
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    train = commands.add_parser("train", help="train and evaluate one run (the default command)", allow_abbrev=False)
    _common_flags(train, experiment, generic)
    train.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run from its checkpoint")
    train.add_argument("--ensemble", type=int, metavar="K",
                       help="train K members (seeds seed..seed+K-1) and score their averaged probabilities")
    find = commands.add_parser("find-lr", help="run the LR range test on the configured model and data", allow_abbrev=False)
    _common_flags(find, experiment, generic)
    find.add_argument("--min-lr", type=float, default=1e-6)
    find.add_argument("--max-lr", type=float, default=10.0)
    find.add_argument("--steps", type=int, default=100)
    evaluate = commands.add_parser("evaluate", help="re-evaluate a finished run on its test set", allow_abbrev=False)
    evaluate.add_argument("run_dir", metavar="RUN_DIR")
    if generic:
        evaluate.add_argument("--experiment", metavar="MODULE:NAME",
                              help="the run's experiment (default: the one its run.json names)")
    evaluate.add_argument(
        "--test-time-augmentation",
        choices=TEST_TIME_AUGMENTATIONS,
        help="override the run's training.test_time_augmentation (e.g. 'none' to see what 'flip' bought)",
    )
    evaluate.add_argument("--mc-samples", type=int, metavar="N",
                          help="also score the mean of N Monte Carlo dropout samples: accuracy, NLL, ECE, "
                               "reliability diagrams (written to the run and its TensorBoard)")
    tune = commands.add_parser("tune", help="search hyperparameters with KerasTuner (space in TOML)", allow_abbrev=False)
    _common_flags(tune, experiment, generic)
    tune.add_argument("--space", required=True, metavar="TOML", help="search space, e.g. recipes/cifar-tune.toml")
    tune.add_argument("--tuner", choices=TUNERS, default="random")
    tune.add_argument("--max-trials", type=int, default=10, help="trials of random, grid and bayesian (default 10)")
    tune.add_argument("--max-consecutive-failures", type=int, default=3,
                      help="stop the search after this many failed trials in a row (default 3)")
    tune.add_argument("--median-stopping", action="store_true",
                      help="stop a trial whose objective at epoch k is worse than the median of completed trials at k")
    tune.add_argument("--keep-checkpoints", choices=("best", "all"), default="best",
                      help="trial checkpoints to keep (default: the best trial's only)")
    tune.add_argument("--distributed", choices=("chief", "worker"),
                      help="KerasTuner's distributed mode: the chief runs the oracle, workers run trials")
    tune.add_argument("--oracle", metavar="HOST:PORT", help="the chief's address (KERASTUNER_ORACLE_IP/PORT)")
    tune.add_argument("--tuner-id", help="this worker's name (KERASTUNER_TUNER_ID; default worker-<pid>)")
    compare = commands.add_parser("compare", help="compare variants over seeds with intervals and paired tests",
                                  allow_abbrev=False)  # fmt: skip
    _common_flags(compare, experiment, generic)
    compare.add_argument("file", metavar="TOML", help="comparison file, e.g. recipes/cifar-dropout-ablation.toml")
    ensemble = commands.add_parser("ensemble", help="score the averaged probabilities of finished runs",
                                   allow_abbrev=False)  # fmt: skip
    ensemble.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    if generic:
        ensemble.add_argument("--experiment", metavar="MODULE:NAME",
                              help="the runs' experiment (default: the one the first run's run.json names)")
    ensemble.add_argument("--output", metavar="DIR", help="also write ensemble.json and ensemble.md here")
    return parser


def _flags(args):
    return {
        "data.source": args.data,
        "training.epochs": args.epochs,
        "training.batch_size": args.batch_size,
        "training.seed": args.seed,
        "logging.logdir": args.logdir,
        "training.mixed_precision": args.mixed_precision,
        "training.jit_compile": args.jit,
    }


def resolve_args(experiment, args, log=print, derive_schedule=True):
    """The config of this command line: the experiment's defaults, ``--preset``, ``--config``, ``--set``, flags."""
    return resolve_config(experiment, preset=args.preset, config_file=args.config, overrides=args.overrides,
                          flags=_flags(args), log=log, derive_schedule=derive_schedule)  # fmt: skip


class _Command:
    """One invocation: the experiment, the program name as it was run, and the parsed flags."""

    def __init__(self, experiment, prog, args, generic):
        self.experiment, self.prog, self.args, self.generic = experiment, prog, args, generic

    def command_line(self, command, *extra):
        """A runnable command of this program (with ``--experiment`` where the program needs it)."""
        parts = shlex.split(self.prog) + [command]
        if self.generic and self.experiment.reference:
            parts += ["--experiment", self.experiment.reference]
        return parts + list(extra)

    def train(self):
        args, experiment = self.args, self.experiment
        if args.ensemble is not None:
            if args.resume:
                raise ConfigError("--ensemble and --resume do not go together; rerun the --ensemble command to continue")
            config = resolve_args(experiment, args)
            folder, run_dirs = train_members(experiment, config, args.ensemble)
            report = evaluate_ensemble(experiment, run_dirs)
            write_ensemble_report(folder, report)
            print(f"\n{experiment.name} ensemble: {folder}\n\n{ensemble_markdown(report)}")
            return 0
        if args.resume:
            config = config_of_run(args.resume)
            if os.path.exists(os.path.join(args.resume, "results.json")):
                # Its test set was evaluated once already; re-evaluating is `evaluate`'s job.
                hint = " ".join(shlex.quote(p) for p in self.command_line("evaluate", args.resume))
                raise ConfigError(f"run {args.resume} already finished (results.json exists); use: {hint}")
            run_dir, results = train(config, experiment, resume_dir=args.resume)
        else:
            run_dir, results = train(resolve_args(experiment, args), experiment)
        where = run_dir or "this worker's part is done; worker 0 wrote the run"
        print(f"\n{experiment.name}: {where}\n{summary_table(results)}")
        return 0

    def ensemble(self):
        report = evaluate_ensemble(self._experiment_of_run(self.args.run_dirs[0]), self.args.run_dirs)
        if self.args.output:
            write_ensemble_report(self.args.output, report)
        print(f"\n{ensemble_markdown(report)}")
        return 0

    def find_lr(self):
        from kerasreg.schedules import find_lr

        args, experiment = self.args, self.experiment
        config = resolve_args(experiment, args)
        prepared = prepare(config, experiment)
        result = find_lr(prepared.model, prepared.train.repeat(), min_lr=args.min_lr, max_lr=args.max_lr,
                         num_steps=args.steps)  # fmt: skip
        run_dir = create_run_dir(config.logging.logdir, experiment.name, config, kind="find-lr")
        plot = result.plot(os.path.join(run_dir, "lr_finder.png"))
        print(f"suggested learning rate: {result.suggestion:.3g} (steepest descent), {result.valley:.3g} (valley)")
        print(f"plot: {plot}")
        return 0

    def _experiment_of_run(self, run_dir):
        """The experiment that made ``run_dir`` when its ``run.json`` names another one, else this one."""
        reference = recorded_reference(run_dir)
        if reference and reference != self.experiment.reference:
            return load_experiment(reference)
        return self.experiment

    def evaluate(self):
        args = self.args
        experiment = self._experiment_of_run(args.run_dir)
        report = experiment.evaluate(args.run_dir, test_time_augmentation=args.test_time_augmentation,
                                     mc_samples=args.mc_samples)  # fmt: skip
        if args.mc_samples is None:
            print(json.dumps(report, indent=2))
            return 0
        print(json.dumps({k: report[k] for k in ("samples", "deterministic", "mc")}, indent=2))
        print(f"reliability diagrams: {os.path.join(args.run_dir, 'reliability.png')}, reliability-mc.png; "
              f"report: {os.path.join(args.run_dir, 'evaluation-mc.json')}")
        return 0

    def tune(self):
        args, experiment = self.args, self.experiment
        for name in ("max_trials", "max_consecutive_failures"):
            if getattr(args, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be >= 1; got {getattr(args, name)}")
        _distributed_environment(args)
        base = resolve_args(experiment, args, derive_schedule=False)
        space = load_space(args.space, base)
        root, results = run_search(
            experiment, base, space, kind=args.tuner, max_trials=args.max_trials,
            max_consecutive_failures=args.max_consecutive_failures, median_stopping=args.median_stopping,
            keep_checkpoints=args.keep_checkpoints, command_prefix=self._train_prefix(),
        )  # fmt: skip
        if results is None:
            print(f"\n{experiment.name} tune: this worker is done; the chief writes the results in {root}")
            return 0
        objective = experiment.objective_for(base)
        print(f"\n{experiment.name} tune: {root}\n{top_table(results['trials'], objective=objective)}")
        best = results.get("best")
        if best:
            scored = ", ".join(f"{k} {v:.4f}" for k, v in best["test"].items() if k != "loss") or "no test split"
            print(f"best trial {best['trial_id']}: {objective.name} {best['objective']['value']:.4f}, "
                  f"test: {scored} (evaluated once)")
            print(f"train it: {best['command']}")
        return 0

    def _train_prefix(self):
        """The ``train`` command with this invocation's config flags (for the best trial's command)."""
        args = self.args
        parts = self.command_line("train")
        for flag, value in (("--preset", args.preset), ("--config", args.config), ("--data", args.data),
                            ("--epochs", args.epochs), ("--batch-size", args.batch_size), ("--seed", args.seed),
                            ("--logdir", args.logdir), ("--mixed-precision", args.mixed_precision)):  # fmt: skip
            if value is not None:
                parts += [flag, str(value)]
        for assignment in args.overrides:
            parts += ["--set", assignment]
        return parts

    def compare(self):
        args, experiment = self.args, self.experiment
        spec = load_comparison(args.file)
        base = comparison_base(experiment, spec, preset=args.preset, config_file=args.config,
                               overrides=args.overrides, flags=_flags(args), origin=args.file)  # fmt: skip
        result = run_comparison(experiment, base, spec)
        root = result.folder
        print(f"\n{experiment.name} compare: {root}\n\n{result.report.markdown}")
        print(f"table: {os.path.join(root, 'comparison.md')} (also .csv, .json; chart: comparison.png)")
        for failure in result.failed:
            print(f"failed: {failure['variant']} seed {failure['seed']}: {failure['error']} (rerun to retry)",
                  file=sys.stderr)
        # The table is written but lacks these runs: exit 1 so that scripts can tell.
        return 1 if result.failed else 0


def _distributed_environment(args):
    """Sets KerasTuner's chief/worker variables from the flags (the variables may also be set directly)."""
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


def program_name():
    """How this process was started, as a user would type it: ``python -m module`` or ``python script.py``."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name:
        name = spec.name[: -len(".__main__")] if spec.name.endswith(".__main__") else spec.name
        return f"python -m {name}"
    return f"python {os.path.basename(sys.argv[0])}" if sys.argv and sys.argv[0] else "python"


def _experiment_flag(argv):
    for index, value in enumerate(argv):
        if value == "--experiment" and index + 1 < len(argv):
            return argv[index + 1]
        if value.startswith("--experiment="):
            return value.split("=", 1)[1]
    return None


def _experiment_for(argv, command):
    """The experiment of a ``python -m kerasreg`` command line: ``--experiment``, else the run's own record."""
    reference = _experiment_flag(argv)
    if reference is not None:
        return load_experiment(reference)
    if command in ("evaluate", "ensemble"):
        positional = [a for a in argv[1:] if not a.startswith("-")]
        if positional:
            return experiment_of_run(positional[0])
    raise ConfigError("name the experiment to run: --experiment MODULE:NAME "
                      "(e.g. --experiment kerasreg.recipes.cifar:EXPERIMENT, or --experiment mymodel.py:EXP)")  # fmt: skip


def main(experiment=None, argv=None, prog=None):
    """Runs the command line; returns the exit code.

    Args:
        experiment: The `kerasreg.Experiment` (a recipe's or a user's own
            module passes it); None reads ``--experiment MODULE:NAME`` (the
            ``python -m kerasreg`` form).
        argv: The arguments (default ``sys.argv[1:]``).
        prog: The program as the user ran it, for messages and printed
            commands (default: read from how this process was started).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    prog = prog or program_name()
    generic = experiment is None
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        if argv and not argv[0].startswith("-"):
            print(f"{prog}: error: unknown command '{argv[0]}'; choose from {', '.join(COMMANDS)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        argv.insert(0, "train")
    args = None
    try:
        if generic and argv[0] not in ("-h", "--help") and "-h" not in argv and "--help" not in argv:
            experiment = _experiment_for(argv, argv[0])
        parser = build_parser(experiment, prog, generic)
        args = parser.parse_args(argv)
        command = _Command(experiment, prog, args, generic)
        return {"train": command.train, "find-lr": command.find_lr, "evaluate": command.evaluate,
                "tune": command.tune, "compare": command.compare, "ensemble": command.ensemble}[args.command]()  # fmt: skip
    except (UsageError, ConfigError, DataError, ExperimentNotFound) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (SearchStopped, FloatingPointError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as error:
        print(f"{prog}: interrupted{_carry_on_hint(args, error)}", file=sys.stderr)
        return 130
