"""The command line of every experiment: ``python -m kerasreg COMMAND --experiment MODULE:NAME``.

A recipe module runs the same commands with its experiment built in
(``python -m kerasreg.recipes.cifar COMMAND``). The CLI only translates
flags into `kerasreg.Experiment` / engine calls, in two steps: first
everything that can be checked without TensorFlow (the flags, the config
file, ``--set`` values, the preset, paths, the run directory), then
TensorFlow is loaded and the command runs. So ``--help`` and bad input
answer at once. Bad input (an unknown flag or config key, a wrong type, a
missing file, a data path without images, a ``--resume`` of something that
is not a run) ends with one line on stderr and exit code 2, before
anything is written.
"""

import argparse
import json
import os
import shlex
import sys

from kerasreg import startup
from kerasreg.cli.experiments import ExperimentNotFound, experiment_of_run, load_experiment, recorded_reference
from kerasreg.config import ConfigError, to_dict, with_values
from kerasreg.config.sections import MIXED_PRECISION, TEST_TIME_AUGMENTATIONS
from kerasreg.config.shift import CORRUPTION_NAMES, check_shift_flags
from kerasreg.config.toml_text import to_toml
from kerasreg.engine.presets import MACHINE_CHOICE, preset_values
from kerasreg.tuning.tuners import TUNERS

COMMANDS = ("train", "find-lr", "evaluate", "tune", "compare", "ensemble", "uncertainty")
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


class HelpDefaults:
    """What ``--help`` shows as each flag's default: the experiment's config under the preset a run would use."""

    def __init__(self, experiment, preset):
        self.config, self.note = None, ""
        if experiment is None:
            return
        config = experiment.default_config()
        if preset in experiment.presets:
            config = with_values(config, preset_values(experiment.presets, preset), origin=f"preset '{preset}'")
            self.note = f" with preset {preset}"
        self.config = config

    def __call__(self, section, key, show=str):
        """``"; default VALUE (with preset P)"`` for ``section.key``, or nothing without an experiment."""
        if self.config is None:
            return ""
        return f"; default {show(getattr(getattr(self.config, section), key))}{self.note}"


def _common_flags(parser, experiment, generic, defaults):
    if generic:
        parser.add_argument("--experiment", metavar="MODULE:NAME",
                            help="the experiment to run: a kerasreg.Experiment importable as MODULE:NAME "
                                 "(e.g. kerasreg.recipes.cifar:EXPERIMENT, or mymodel.py:EXP)")  # fmt: skip
    parser.add_argument("--config", metavar="TOML",
                        help="experiment file, e.g. recipes/cifar.toml; it starts from the preset its 'preset' "
                             "key names, else from the experiment's plain defaults")  # fmt: skip
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="override one config value (repeatable), e.g. --set regularization.dropout=mc")
    presets = sorted(experiment.presets) if experiment is not None else None
    parser.add_argument("--preset", choices=presets,
                        help="smoke (synthetic, seconds), cpu (2-core CPU), gpu (full size); default: gpu if a "
                             "GPU is visible, else cpu (where the experiment has them), or the --config "
                             "file's preset")  # fmt: skip
    parser.add_argument("--data", metavar="SOURCE",
                        help="a data source: cifar10/fashion_mnist (downloads), synthetic, a cifar-10-batches-py "
                             "folder or .tar.gz, an image-folder tree (train/<class>/*, test/<class>/*) or its "
                             ".tar.gz, or an .npz" + defaults("data", "source", repr))  # fmt: skip
    parser.add_argument("--epochs", type=int, metavar="N", help="training epochs" + defaults("training", "epochs"))
    parser.add_argument("--batch-size", type=int, metavar="N",
                        help="training batch size" + defaults("training", "batch_size"))
    parser.add_argument("--seed", type=int, metavar="N",
                        help="seed of the split, initialization, augmentation and dropout masks"
                             + defaults("training", "seed"))  # fmt: skip
    parser.add_argument("--logdir", metavar="DIR",
                        help="root of the run directories" + defaults("logging", "logdir"))
    parser.add_argument("--mixed-precision", choices=MIXED_PRECISION,
                        help="compute dtype policy; auto: float16 on GPUs with tensor cores, bfloat16 on CPUs "
                             "with native bfloat16, else float32" + defaults("training", "mixed_precision"))  # fmt: skip
    parser.add_argument("--jit", action="store_true", default=None,
                        help="XLA-compile the train step" + defaults("training", "jit_compile",
                                                                     lambda on: "on" if on else "off"))  # fmt: skip
    parser.add_argument("--print-config", action="store_true",
                        help="print the resolved config as TOML (a file --config reads back) and exit")


def build_parser(experiment, prog, generic=False, preset=None):
    """The argument parser; ``generic``: the ``python -m kerasreg`` form, which takes ``--experiment``.

    ``preset``: the preset whose values ``--help`` shows as the defaults.
    """
    description = experiment.description if experiment is not None else "Run a kerasreg experiment."
    defaults = HelpDefaults(experiment, preset)
    # No abbreviations: a misspelt --epoch must be an error, not --epochs.
    parser = _Parser(prog=prog, description=description, allow_abbrev=False,
                     epilog="train is the default command: its flags follow. "
                            f"Each command's own: {prog} COMMAND --help")  # fmt: skip
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    train = commands.add_parser("train", help="train and evaluate one run (the default command)", allow_abbrev=False)
    _common_flags(train, experiment, generic, defaults)
    train.add_argument("--resume", metavar="RUN_DIR",
                       help="continue an interrupted run from its checkpoint, with the config it recorded")
    train.add_argument("--ensemble", type=int, metavar="K",
                       help="train K members (seeds seed..seed+K-1) and score their averaged probabilities")
    find = commands.add_parser("find-lr", help="run the LR range test on the configured model and data", allow_abbrev=False)
    _common_flags(find, experiment, generic, defaults)
    find.add_argument("--min-lr", type=float, default=1e-6, metavar="LR",
                      help="the range's lowest learning rate (default 1e-06)")
    find.add_argument("--max-lr", type=float, default=10.0, metavar="LR",
                      help="the range's highest learning rate (default 10)")
    find.add_argument("--steps", type=int, default=100, metavar="N",
                      help="training steps, the rate growing exponentially from --min-lr to --max-lr (default 100)")
    evaluate = commands.add_parser("evaluate", help="re-evaluate a finished run on its test set", allow_abbrev=False)
    evaluate.add_argument("run_dir", metavar="RUN_DIR")
    if generic:
        evaluate.add_argument("--experiment", metavar="MODULE:NAME",
                              help="the run's experiment (default: the one its run.json names)")
    evaluate.add_argument("--data", metavar="SOURCE",
                          help="the data source to score on (default: the one the run recorded; the same "
                               "seeded split, so a moved copy of the same data gives the same test set)")  # fmt: skip
    evaluate.add_argument(
        "--test-time-augmentation",
        choices=TEST_TIME_AUGMENTATIONS,
        help="override the run's training.test_time_augmentation (e.g. 'none' to see what 'flip' bought)",
    )
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON instead of the summary")
    evaluate.add_argument("--mc-samples", type=int, metavar="N",
                          help="also score the mean of N Monte Carlo dropout samples: accuracy, NLL, ECE, "
                               "reliability diagrams (written to the run and its TensorBoard)")
    evaluate.add_argument("--shift", action="store_true",
                          help="also score the test set under corruptions (noise, blur, contrast, JPEG, ...) at "
                               "severities 1-5: accuracy, NLL, ECE per corruption and their means "
                               "(evaluation-shift.json, shift.png)")  # fmt: skip
    evaluate.add_argument("--ood", action="store_true",
                          help="also score out-of-distribution detection (AUROC, AUPR, FPR at 95%% TPR) of noise "
                               "images and, for an open-set run, its held-out classes")  # fmt: skip
    evaluate.add_argument("--corruptions", type=_names, metavar="A,B",
                          help=f"--shift's corruptions (default all: {', '.join(CORRUPTION_NAMES)})")
    evaluate.add_argument("--shift-examples", type=int, metavar="N",
                          help="--shift's test images per severity (default a fifth of the test set)")
    tune = commands.add_parser("tune", help="search hyperparameters with KerasTuner (space in TOML)", allow_abbrev=False)
    _common_flags(tune, experiment, generic, defaults)
    tune.add_argument("--space", required=True, metavar="TOML", help="search space, e.g. recipes/cifar-tune.toml")
    tune.add_argument("--tuner", choices=TUNERS, default="random", help="the KerasTuner tuner (default random)")
    tune.add_argument("--max-trials", type=int, default=10, metavar="N",
                      help="trials of random, grid and bayesian (default 10)")
    tune.add_argument("--max-consecutive-failures", type=int, default=3, metavar="N",
                      help="stop the search after this many failed trials in a row (default 3)")
    tune.add_argument("--median-stopping", action="store_true",
                      help="stop a trial whose objective at epoch k is worse than the median of completed trials at k")
    tune.add_argument("--keep-checkpoints", choices=("best", "all"), default="best",
                      help="trial checkpoints to keep (default: the best trial's only)")
    _distributed_flags(tune, "trials")
    compare = commands.add_parser("compare", help="compare variants over seeds with intervals and paired tests",
                                  allow_abbrev=False)  # fmt: skip
    _common_flags(compare, experiment, generic, defaults)
    compare.add_argument("file", metavar="TOML", help="comparison file, e.g. recipes/cifar-dropout-ablation.toml")
    _distributed_flags(compare, "runs (and tuning runs)")
    study = commands.add_parser("uncertainty", allow_abbrev=False,
                                help="one table of deterministic, temperature-scaled, MC dropout, ensemble and SWA "
                                     "models over seeds, on clean, corrupted and out-of-distribution data")  # fmt: skip
    _common_flags(study, experiment, generic, defaults)
    study.add_argument("--name", default="study", help="the study's folder: uncertainty-NAME (default study)")
    study.add_argument("--seeds", type=int, default=3, metavar="N", help="seeds of each method (default 3)")
    study.add_argument("--members", type=int, default=3, metavar="K", help="members of each ensemble (default 3)")
    study.add_argument("--mc-samples", type=int, default=20, metavar="N", help="MC dropout samples (default 20)")
    study.add_argument("--swa-epochs", type=int, default=0, metavar="N",
                       help="epochs the SWA runs average over (default 0: a quarter of the epochs)")
    study.add_argument("--corruptions", type=_names, metavar="A,B",
                       help=f"the corruptions (default all: {', '.join(CORRUPTION_NAMES)})")
    study.add_argument("--shift-examples", type=int, metavar="N",
                       help="test images per corruption severity (default a fifth of the test set)")
    study.add_argument("--ood-examples", type=int, metavar="N",
                       help="images of each synthetic OOD set (default as many as test images)")
    ensemble = commands.add_parser("ensemble", help="score the averaged probabilities of finished runs",
                                   allow_abbrev=False)  # fmt: skip
    ensemble.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    if generic:
        ensemble.add_argument("--experiment", metavar="MODULE:NAME",
                              help="the runs' experiment (default: the one the first run's run.json names)")
    ensemble.add_argument("--output", metavar="DIR", help="also write ensemble.json and ensemble.md here")
    parser.subcommands = commands.choices
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


def resolve_args(experiment, args, log=print, derive_schedule=True, derived=True):
    """The config of this command line: the experiment's defaults, ``--preset``, ``--config``, ``--set``, flags.

    ``derived=False``: ``mixed_precision = "auto"`` is left unresolved, so no
    TensorFlow is needed: what the first, checking step uses.
    """
    from kerasreg.engine.resolution import resolve_config

    return resolve_config(experiment, preset=args.preset, config_file=args.config, overrides=args.overrides,
                          flags=_flags(args), log=log, derive_schedule=derive_schedule,
                          resolve_precision=derived)  # fmt: skip


def _quiet(*_args, **_kwargs):
    pass


# Flags that `train --resume` cannot honour: the run continues with the config it recorded.
_RESUME_IGNORES = (("config", "--config"), ("overrides", "--set"), ("preset", "--preset"), ("data", "--data"),
                   ("epochs", "--epochs"), ("batch_size", "--batch-size"), ("seed", "--seed"),
                   ("logdir", "--logdir"), ("mixed_precision", "--mixed-precision"), ("jit", "--jit"),
                   ("ensemble", "--ensemble"))  # fmt: skip
# What a data source that is meant as a path looks like (the others are names: cifar10, synthetic).
_PATH_SUFFIXES = (".npz", ".gz", ".tgz", ".tar", ".zip")


def _names(text):
    """``"a,b"`` -> ``["a", "b"]`` (a comma-separated list flag)."""
    return [name.strip() for name in text.split(",") if name.strip()]


def _check_data_path(source, flag="data.source"):
    """A data source written as a path must exist (names such as ``cifar10`` are checked when loaded)."""
    if not isinstance(source, str):
        return
    if (os.sep in source or source.startswith(".") or source.endswith(_PATH_SUFFIXES)) and not os.path.exists(source):
        raise ConfigError(f"{flag}={source!r}: no such file or folder")


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

    # The first step: everything that can be checked without TensorFlow.

    def check(self):
        args = self.args
        name = args.command
        if name in ("train", "find-lr", "tune") and not getattr(args, "resume", None):
            # A search gives each trial's schedule its length after the trial's own values.
            config = resolve_args(self.experiment, args, log=_quiet, derive_schedule=name != "tune", derived=False)
            _check_data_path(config.data.source, "--data" if args.data else "data.source")
            if name == "tune":
                from kerasreg.tuning.space import load_space

                for option in ("max_trials", "max_consecutive_failures"):
                    if getattr(args, option) < 1:
                        raise ConfigError(f"--{option.replace('_', '-')} must be >= 1; got {getattr(args, option)}")
                load_space(args.space, config)
            if name == "find-lr":
                self._check_range()
        elif name == "train":
            self._check_resume()
        elif name == "compare":
            from kerasreg.comparison.spec import load_comparison

            load_comparison(args.file)
            if args.data:
                _check_data_path(args.data, "--data")
        elif name == "evaluate":
            check_shift_flags(args.shift, args.corruptions, args.shift_examples)
            self._check_finished(args.run_dir)
            if args.mc_samples is not None and args.mc_samples < 1:
                raise ConfigError(f"--mc-samples must be >= 1; got {args.mc_samples}")
            if args.data:
                _check_data_path(args.data, "--data")
        elif name == "ensemble":
            from kerasreg.engine.run_files import member_configs

            member_configs(args.run_dirs)
        elif name == "uncertainty":
            config = resolve_args(self.experiment, args, log=_quiet)
            _check_data_path(config.data.source, "--data" if args.data else "data.source")
            check_shift_flags(True, args.corruptions, args.shift_examples)
            self._study_spec().check(config)

    def _study_spec(self):
        from kerasreg.comparison.uncertainty import UncertaintySpec

        args = self.args
        return UncertaintySpec(name=args.name, seeds=args.seeds, members=args.members, mc_samples=args.mc_samples,
                               swa_epochs=args.swa_epochs, corruptions=tuple(args.corruptions or ()) or None,
                               shift_examples=args.shift_examples, ood_examples=args.ood_examples)  # fmt: skip

    def uncertainty(self):
        from kerasreg.comparison.uncertainty import run_study

        experiment = self.experiment
        folder, report = run_study(experiment, resolve_args(experiment, self.args), self._study_spec())
        print(f"\n{experiment.name} uncertainty: {folder}\n\n{report['table']}")
        ratios = ", ".join(f"{method} {ratio:.1f}x" for method, ratio in report["cost_ratio"].items() if ratio)
        print(f"test-set prediction time relative to one deterministic pass: {ratios}")
        print(f"table: {os.path.join(folder, 'uncertainty.md')} (also uncertainty.json; plots: shift.png, "
              "reliability.png, reliability-calibrated.png)")  # fmt: skip
        return 0

    def _check_range(self):
        args = self.args
        if not 0 < args.min_lr < args.max_lr:
            raise ConfigError(f"find-lr needs 0 < --min-lr < --max-lr; got --min-lr {args.min_lr:g}, "
                              f"--max-lr {args.max_lr:g}")  # fmt: skip
        if args.steps < 2:
            raise ConfigError(f"--steps must be >= 2; got {args.steps}")

    def _check_resume(self):
        from kerasreg.experiment import config_of_run

        args = self.args
        config_of_run(args.resume)
        ignored = [flag for name, flag in _RESUME_IGNORES if getattr(args, name, None) not in (None, [], False)]
        if ignored:
            raise ConfigError(f"--resume continues {args.resume} with the config it recorded; "
                              f"{', '.join(ignored)} would be ignored (start a new run to change them)")  # fmt: skip
        if os.path.exists(os.path.join(args.resume, "results.json")):
            # Its test set was evaluated once already; re-evaluating is `evaluate`'s job.
            hint = " ".join(shlex.quote(p) for p in self.command_line("evaluate", args.resume))
            raise ConfigError(f"run {args.resume} already finished (results.json exists); use: {hint}")

    @staticmethod
    def _check_finished(run_dir):
        from kerasreg.engine.run_files import finished_run_config
        from kerasreg.experiment import config_of_run

        config_of_run(run_dir)  # "not a kerasreg run directory" first, then whether it finished
        finished_run_config(run_dir)

    def print_config(self):
        """``--print-config``: the resolved config as TOML, with what it was resolved from."""
        from kerasreg.experiment import config_of_run

        args = self.args
        if getattr(args, "resume", None):
            config, origin = config_of_run(args.resume), f"the config {args.resume} recorded"
        elif args.command == "compare":
            config, origin = self._comparison_base(log=_quiet)[1], f"the base config of {args.file}"
        else:
            # A preset that depends on the CPU says which values it took: the file would take others elsewhere.
            machine = []
            config = resolve_args(self.experiment, args, derive_schedule=args.command != "tune",
                                  log=lambda line: machine.append(line) if MACHINE_CHOICE in line else None)  # fmt: skip
            origin = "\n".join([f"the resolved config of {self.experiment.name!r}", *machine])
        print(to_toml(to_dict(config), header=f"{origin}; run it with --config FILE"), end="")
        return 0

    # The second step: the commands, with TensorFlow loaded.

    def train(self):
        from kerasreg.engine.training import summary_table, train
        from kerasreg.experiment import config_of_run

        args, experiment = self.args, self.experiment
        if args.ensemble is not None:
            from kerasreg.engine.ensemble import evaluate_ensemble, markdown, train_members, write_report

            config = resolve_args(experiment, args)
            folder, run_dirs = train_members(experiment, config, args.ensemble)
            report = evaluate_ensemble(experiment, run_dirs)
            write_report(folder, report)
            print(f"\n{experiment.name} ensemble: {folder}\n\n{markdown(report)}")
            return 0
        if args.resume:
            run_dir, results = train(config_of_run(args.resume), experiment, resume_dir=args.resume)
        else:
            run_dir, results = train(resolve_args(experiment, args), experiment)
        where = run_dir or "this worker's part is done; worker 0 wrote the run"
        print(f"\n{experiment.name}: {where}\n{summary_table(results)}")
        return 0

    def ensemble(self):
        from kerasreg.engine.ensemble import evaluate_ensemble, markdown, write_report

        report = evaluate_ensemble(self._experiment_of_run(self.args.run_dirs[0]), self.args.run_dirs)
        if self.args.output:
            write_report(self.args.output, report)
        print(f"\n{markdown(report)}")
        return 0

    def find_lr(self):
        from kerasreg.engine.preparation import prepare
        from kerasreg.engine.run_files import create_run_dir
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
        # The schedules' learning_rate is their peak: the valley is the safer choice of the two.
        use = self._train_prefix() + ["--set", f"schedule.learning_rate={result.valley:.3g}"]
        print(f"train with it: {' '.join(shlex.quote(p) for p in use)}")
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
                                     mc_samples=args.mc_samples, data=args.data, shift=args.shift, ood=args.ood,
                                     corruptions=args.corruptions, shift_examples=args.shift_examples)  # fmt: skip
        if args.shift or args.ood:
            from kerasreg.engine.robustness import markdown

            if args.json:
                print(json.dumps(report, indent=2))
                return 0
            print(f"\n{experiment.name}: {args.run_dir} under shift (results.json unchanged)")
            print(markdown(report["predictors"]))
            print("files: " + ", ".join(os.path.join(args.run_dir, name) for name in report["files"].values()))
            return 0
        if args.mc_samples is None:
            from kerasreg.engine.run_files import read_json
            from kerasreg.engine.training import summary_table

            recorded = read_json(os.path.join(args.run_dir, "results.json"))
            if args.json or recorded is None:
                print(json.dumps(report, indent=2))
                return 0
            # The run's own summary with the test rows (and the temperature) scored now.
            print(f"\n{experiment.name}: {args.run_dir} (test set scored again; results.json unchanged)")
            test = {k: v for k, v in report.items() if k != "calibration"}
            print(summary_table({**recorded, "test": test, "calibration": report.get("calibration")}, files=False))
            return 0
        print(json.dumps({k: report[k] for k in ("samples", "deterministic", "mc")}, indent=2))
        print(f"reliability diagrams: {os.path.join(args.run_dir, 'reliability.png')}, reliability-mc.png; "
              f"report: {os.path.join(args.run_dir, 'evaluation-mc.json')}")
        return 0

    def tune(self):
        from kerasreg.tuning import load_space, run_search, top_table

        args, experiment = self.args, self.experiment
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

    def _comparison_base(self, log=print):
        from kerasreg.comparison import comparison_base, load_comparison

        args = self.args
        spec = load_comparison(args.file)
        return spec, comparison_base(self.experiment, spec, preset=args.preset, config_file=args.config,
                                     overrides=args.overrides, flags=_flags(args), origin=args.file, log=log)  # fmt: skip

    def compare(self):
        from kerasreg.comparison import run_comparison

        experiment = self.experiment
        _distributed_environment(self.args)
        spec, base = self._comparison_base()
        result = run_comparison(experiment, base, spec)
        root = result.folder
        if result.report is None:
            print(f"\n{experiment.name} compare: this worker is done; the chief writes the table in {root}")
            return 0
        print(f"\n{experiment.name} compare: {root}\n\n{result.report.markdown}")
        print(f"table: {os.path.join(root, 'comparison.md')} (also .csv, .json; chart: comparison.png)")
        for failure in result.failed:
            which = f"seed {failure['seed']}" if "seed" in failure else (
                f"tuning run {failure['tuning'] + 1}" if failure.get("tuning") is not None else "tuning")
            print(f"failed: {failure['variant']} {which}: {failure['error']} (rerun to retry)", file=sys.stderr)
        # The table is written but lacks these runs: exit 1 so that scripts can tell.
        return 1 if result.failed else 0

    def run(self):
        return {"train": self.train, "find-lr": self.find_lr, "evaluate": self.evaluate, "tune": self.tune,
                "compare": self.compare, "ensemble": self.ensemble,
                "uncertainty": self.uncertainty}[self.args.command]()  # fmt: skip


def _distributed_flags(parser, what):
    """KerasTuner's chief/worker flags, shared by tune and compare."""
    parser.add_argument("--distributed", choices=("chief", "worker"),
                        help=f"KerasTuner's distributed mode: the chief runs the oracle, workers run {what}")
    parser.add_argument("--oracle", metavar="HOST:PORT", help="the chief's address (KERASTUNER_ORACLE_IP/PORT)")
    parser.add_argument("--tuner-id", help="this worker's name (KERASTUNER_TUNER_ID; default worker-<pid>)")


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


def _option(argv, flag):
    """The value of ``flag`` on a command line (``--flag VALUE`` or ``--flag=VALUE``), or None."""
    for index, value in enumerate(argv):
        if value == flag and index + 1 < len(argv):
            return argv[index + 1]
        if value.startswith(f"{flag}="):
            return value.split("=", 1)[1]
    return None


def _experiment_for(argv, command):
    """The experiment of a ``python -m kerasreg`` command line: ``--experiment``, else the run's own record."""
    reference = _option(argv, "--experiment")
    if reference is not None:
        return load_experiment(reference)
    if command in ("evaluate", "ensemble"):
        positional = [a for a in argv[1:] if not a.startswith("-")]
        if positional:
            return experiment_of_run(positional[0])
    raise ConfigError("name the experiment to run: --experiment MODULE:NAME "
                      "(e.g. --experiment kerasreg.recipes.cifar:EXPERIMENT, or --experiment mymodel.py:EXP)")  # fmt: skip


def _help_preset(experiment, argv):
    """The preset whose values ``--help`` shows: ``--preset``, else the one a run here would pick."""
    if experiment is None:
        return None
    preset = _option(argv, "--preset")
    if preset is None:
        from kerasreg.engine.resolution import default_preset

        preset = default_preset(experiment, log=_quiet)
    return preset


def _failure(error):
    """``(exit code, message)`` of an error the command line reports in one line, or None to re-raise."""
    bad_input = [UsageError, ConfigError, ExperimentNotFound]
    # The data and tuning modules are loaded only by the commands that can raise their errors.
    data_errors = sys.modules.get("kerasreg.data.errors")
    if data_errors is not None:
        bad_input.append(data_errors.DataError)
    if isinstance(error, tuple(bad_input)):
        return EXIT_BAD_INPUT, str(error)
    search = sys.modules.get("kerasreg.tuning.search")
    if isinstance(error, FloatingPointError) or (search is not None and isinstance(error, search.SearchStopped)):
        return 1, str(error)
    if isinstance(error, MemoryError) or type(error).__name__ == "ResourceExhaustedError":
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return 1, f"out of memory ({first[:200]}); try a smaller --batch-size"
    return None


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
        wants_help = "-h" in argv or "--help" in argv
        if generic and not wants_help:
            experiment = _experiment_for(argv, argv[0])
        elif generic and _option(argv, "--experiment"):
            experiment = load_experiment(_option(argv, "--experiment"))
        parser = build_parser(experiment, prog, generic, preset=_help_preset(experiment, argv) if wants_help else None)
        if argv[0] in ("-h", "--help"):
            # The top level names the commands; train, the default, shows its flags too.
            print(parser.format_help())
            print(parser.subcommands["train"].format_help(), end="")
            return 0
        args = parser.parse_args(argv)
        command = _Command(experiment, prog, args, generic)
        command.check()
        if getattr(args, "print_config", False):
            return command.print_config()
        startup.load_library()
        return command.run()
    except KeyboardInterrupt as error:
        print(f"{prog}: interrupted{_carry_on_hint(args, error)}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``--help | head``): nothing more to print, and no
        # traceback when Python flushes stdout at exit (the Python docs' recipe).
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (AttributeError, OSError, ValueError):
            pass  # stdout is not a file (captured)
        return 1
    except Exception as error:
        failure = _failure(error)
        if failure is None:
            raise
        code, message = failure
        print(f"{prog}: error: {message}", file=sys.stderr)
        return code
