"""`Experiment`: your own Keras model and data, trained, compared over seeds and tuned by kerasreg.

The model and the data go in as ordinary objects (fastai's `Learner`,
Lightning's `Trainer.fit`); kerasreg adds the seeded pipeline, the
validation split, TensorBoard, checkpoints and resume, the statistics
and the search around them. The recipes (`kerasreg.recipes.cifar`) are
`Experiment`s too.
"""

import dataclasses
import os

from kerasreg.config import ConfigError, build
from kerasreg.config.shift import check_shift_flags
from kerasreg.engine.run_files import read_json
from kerasreg.engine.task import Task

# The engine, tuning and comparison load TensorFlow and KerasTuner: each
# verb imports what it runs, so building an `Experiment` (what a command
# line does before checking its arguments) stays light.


@dataclasses.dataclass
class Run:
    """One finished run: its directory and ``results.json`` (``results["test"]``, ``["validation"]``, ...)."""

    run_dir: str
    results: dict

    @property
    def test(self):
        return self.results["test"]

    @property
    def validation(self):
        return self.results["validation"]

    @property
    def summary(self):
        from kerasreg.engine.training import summary_table

        return summary_table(self.results)


@dataclasses.dataclass
class Comparison:
    """A finished comparison: ``table`` (Markdown, as the CLI prints it), ``rows``, ``folder``, ``failed``."""

    folder: str
    table: str
    rows: list
    failed: list


@dataclasses.dataclass
class Search:
    """A finished search: ``best`` (values, objective, test metrics), ``table`` (top trials), ``results``."""

    folder: str
    results: dict

    @property
    def best(self):
        return self.results.get("best")

    @property
    def table(self):
        from kerasreg.engine.losses import Objective
        from kerasreg.tuning import top_table

        objective = Objective(self.results["objective"], self.results.get("objective_mode", "max"))
        return top_table(self.results["trials"], objective=objective)


class Experiment(Task):
    """A model and data set, trained, compared over seeds and tuned with kerasreg's engine.

    Args:
        model: What builds the model of each run:
            a builder function whose keyword arguments with defaults
            become ``model.*`` config keys and which may take the reserved
            ``input_shape``, ``num_classes``, ``regularization`` (the run's
            `kerasreg.architectures.Regularization`), ``seed`` and ``hp``
            (KerasTuner hyperparameters); a `keras_tuner.HyperModel`; a
            built `keras.Model` (cloned with fresh weights per run); or a
            registered name / None (``model.name`` of
            `kerasreg.architectures`).
        data: ``(x_train, y_train, x_test, y_test)`` or ``(x_train,
            y_train)`` arrays of any shape and dtype, ``(train, test)``
            `tf.data.Dataset`s of ``(x, y)``, a `kerasreg.data.ArrayData`,
            a function returning one of these (called once, when a run
            needs the data), or a ``--data`` source string (a path, a
            ``keras.datasets`` name, ``"synthetic"``). None: the config's
            ``data.source``. The validation split is carved from the
            training data; the test set is evaluated once per run.
        name: The experiment's name: runs go to ``<logdir>/<name>/``.
        loss: A loss name (``"sparse_categorical_crossentropy"``,
            ``"binary_crossentropy"``, ``"categorical_crossentropy"``,
            ``"mse"``, ``"mae"``, ``"huber"``; built with the
            ``from_logits`` the model's outputs call for) or a
            `keras.losses.Loss`. Default: cross-entropy for integer
            labels (binary for one output unit), else mean squared error.
        metrics: Metric names or objects (``"accuracy"`` and ``"auc"`` are
            built to fit the outputs). Default: accuracy for classifiers.
        objective: The validation metric that early stopping, checkpoint
            selection, tuning and comparison tables use: ``"val_auc"``,
            or ``("val_mae", "min")``. Default ``val_accuracy`` for
            classifiers, else ``val_loss``.
        config: Default config values ``{"section.key": value}`` (or an
            `ExperimentConfig`, or a function returning one). A user's
            model or data starts from plain defaults: no augmentation, no
            weight decay, no label smoothing, Adam at 1e-3 for 10 epochs.
        presets: ``{name: {"section.key": value}}``, chosen with ``preset=``
            or ``--preset``. A `kerasreg.engine.MachinePreset` gives a
            preset other values on CPUs with a given instruction set.
        logdir: Root of the run directories (default ``logs``).
        reference: ``"module:NAME"`` that imports this experiment, recorded
            in each run so ``python -m kerasreg evaluate RUN_DIR`` finds it
            (set by ``--experiment``).
        builtin_data: For experiments on ``data.source`` (the recipes): the
            `keras.datasets` name a missing source means.
        synthetic_shape: For experiments on ``data.source``: the image shape
            of ``data.source = "synthetic"``.

    Example:

    >>> import numpy as np, keras, kerasreg
    >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> y = (x[:, 0] > 0).astype("int64")
    >>> def build(hidden=8, *, input_shape, regularization):
    ...     inputs = keras.Input(input_shape)
    ...     h = keras.layers.Dense(hidden, activation="relu")(inputs)
    ...     h = keras.layers.Dropout(regularization.dropout_rate)(h)
    ...     return keras.Model(inputs, keras.layers.Dense(2)(h))
    >>> exp = kerasreg.Experiment(model=build, data=(x[:48], y[:48], x[48:], y[48:]), name="doc")
    >>> config = exp.resolve({"model.hidden": 16}, seed=1, log=lambda *a: None)
    >>> config.model, config.data.augment, config.regularization.decoupled_weight_decay
    ({'hidden': 16}, [], 0.0)

    ``exp.train(seed=0)`` then trains one run, ``exp.compare({...},
    seeds=5)`` variants over seeds, ``exp.tune({...})`` a search,
    ``exp.uncertainty(seeds=3)`` the uncertainty table (documentation,
    "Your own model").
    """

    def __init__(self, model=None, data=None, *, name="experiment", loss=None, metrics=None, objective=None,
                 config=None, presets=None, logdir=None, description=None, reference=None, builtin_data="cifar10",
                 synthetic_shape=(32, 32, 3)):  # fmt: skip
        super().__init__(model, data, name=name, loss=loss, metrics=metrics, objective=objective, config=config,
                         presets=presets, logdir=logdir, description=description, reference=reference,
                         builtin_data=builtin_data, synthetic_shape=synthetic_shape)  # fmt: skip

    def resolve(self, values=None, *, seed=None, epochs=None, preset=None, config_file=None, overrides=(),
                derive_schedule=True, log=print):  # fmt: skip
        """The resolved config: defaults -> ``preset`` -> ``config_file`` -> ``overrides`` -> ``values`` ->
        ``seed``/``epochs``."""
        from kerasreg.engine.resolution import resolve_config

        flags = {"training.seed": seed, "training.epochs": epochs}
        return resolve_config(self, preset=preset, config_file=config_file, overrides=overrides, values=values,
                              flags=flags, log=log, derive_schedule=derive_schedule)  # fmt: skip

    def train(self, values=None, *, seed=None, epochs=None, preset=None, config_file=None, run_dir=None, log=print):
        """Trains and evaluates one run; returns a `Run`. ``values``: ``{"section.key": value}``."""
        from kerasreg.engine.training import train

        config = self.resolve(values, seed=seed, epochs=epochs, preset=preset, config_file=config_file, log=log)
        run_dir, results = train(config, self, run_dir=run_dir, log=log)
        return Run(run_dir, results)

    def resume(self, run_dir, log=print):
        """Finishes an interrupted run from its checkpoint; returns a `Run`."""
        from kerasreg.engine.training import train

        config = config_of_run(run_dir)
        if os.path.exists(os.path.join(run_dir, "results.json")):
            raise ConfigError(f"run {run_dir} already finished (results.json exists)")
        run_dir, results = train(config, self, resume_dir=run_dir, log=log)
        return Run(run_dir, results)

    def compare(self, variants, *, seeds=3, values=None, baseline=None, name="comparison", preset=None,
                config_file=None, epochs=None, tune=None, log=print):  # fmt: skip
        """Runs every variant over ``seeds`` seeds; returns a `Comparison` whose ``table`` the CLI would print.

        ``variants``: ``{name: {"section.key": value}}``; ``values`` are shared
        by all. Rerunning continues: finished runs are kept. ``tune``: a
        comparison file's ``[tune]`` table as a dict (``tuner``, ``trials``,
        ``seed``, ``hyperparameters``), so that every variant is tuned at an
        equal budget first; a variant's dict may hold its own ``"tune"``
        hyperparameters (see the comparing guide).
        """
        from kerasreg.comparison import ComparisonSpec, comparison_base, run_comparison
        from kerasreg.comparison.spec import TuneSpec, check_tune_structure, named_variants, parse_tune

        if not isinstance(variants, dict) or not variants:
            raise ConfigError(f"variants must be a non-empty dict {{name: {{'section.key': value}}}}; got {variants!r}")
        origin = f"compare({name!r})"
        parsed = named_variants(origin, variants)
        tuning = parse_tune(origin, tune) if tune is not None else TuneSpec() if any(v.tune for v in parsed) else None
        spec = ComparisonSpec(name=name, seeds=seeds, variants=parsed, baseline=baseline or next(iter(variants)),
                              shared=dict(values or {}), tune=tuning)  # fmt: skip
        if spec.baseline not in variants:
            raise ConfigError(f"baseline {spec.baseline!r} is not a variant ({', '.join(variants)})")
        check_tune_structure(origin, spec)
        base = comparison_base(self, spec, preset=preset, config_file=config_file, flags={"training.epochs": epochs},
                               origin=f"compare({name!r})", log=log)  # fmt: skip
        result = run_comparison(self, base, spec, log=log)
        return Comparison(result.folder, result.report.markdown, result.report.rows, result.failed)

    def tune(self, space, *, tuner="random", max_trials=10, values=None, preset=None, config_file=None, epochs=None,
             max_consecutive_failures=3, median_stopping=False, log=print):  # fmt: skip
        """Searches ``space`` with KerasTuner; returns a `Search` (the best trial scored on the test set once).

        ``space``: ``{"section.key": [choices] | ("log"|"linear"|"int", min, max) | table}``
        or the path of a space file.
        """
        from kerasreg.tuning import load_space, run_search, space_from_dict

        base = self.resolve(values, epochs=epochs, preset=preset, config_file=config_file, derive_schedule=False,
                            log=log)  # fmt: skip
        parsed = load_space(space, base) if isinstance(space, (str, os.PathLike)) else space_from_dict(space, base)
        folder, results = run_search(self, base, parsed, kind=tuner, max_trials=max_trials,
                                     max_consecutive_failures=max_consecutive_failures,
                                     median_stopping=median_stopping, log=log)  # fmt: skip
        return Search(folder, results)

    def uncertainty(self, values=None, *, name="study", seeds=3, members=3, mc_samples=20, swa_epochs=0,
                    corruptions=None, shift_examples=None, ood_examples=None, seed=None, epochs=None, preset=None,
                    config_file=None, log=print):  # fmt: skip
        """Trains and scores an uncertainty study; returns ``(folder, report)``, ``report["table"]`` in Markdown.

        Deterministic, temperature-scaled, MC dropout (``mc_samples``), deep
        ensemble (``members``) and SWA models over ``seeds`` seeds, on the
        test set, its corruptions and the OOD sets
        (`kerasreg.comparison.uncertainty`). Rerunning continues.
        """
        from kerasreg.comparison.uncertainty import UncertaintySpec, run_study

        spec = UncertaintySpec(name=name, seeds=seeds, members=members, mc_samples=mc_samples, swa_epochs=swa_epochs,
                               corruptions=tuple(corruptions) if corruptions else None, shift_examples=shift_examples,
                               ood_examples=ood_examples)  # fmt: skip
        check_shift_flags(True, corruptions, shift_examples)
        config = self.resolve(values, seed=seed, epochs=epochs, preset=preset, config_file=config_file, log=log)
        return run_study(self, config, spec, log=log)

    def ensemble(self, size, values=None, *, seed=None, epochs=None, preset=None, log=print):
        """Trains ``size`` members (seeds ``seed..``) and scores their averaged probabilities; returns the report."""
        from kerasreg.engine.ensemble import evaluate_ensemble, train_members

        config = self.resolve(values, seed=seed, epochs=epochs, preset=preset, log=log)
        _, run_dirs = train_members(self, config, size, log=log)
        return evaluate_ensemble(self, run_dirs, log=log)

    def evaluate(self, run_dir, *, test_time_augmentation=None, mc_samples=None, data=None, shift=False, ood=False,
                 corruptions=None, shift_examples=None, log=print):  # fmt: skip
        """Re-scores a finished run's saved model on its test set; returns the metrics.

        The metrics include ``"calibration"``: temperature scaling fitted on
        the run's validation split, and the test scores before and after it.
        ``test_time_augmentation`` overrides the run's. ``data``: a data
        source to score on instead of the recorded ``data.source`` (a moved
        copy of the same data, or another test set of the same classes); the
        run's seeded split is applied to it as to the original. ``mc_samples``: also
        score the mean of that many Monte Carlo dropout samples, write the
        reliability diagrams and ``evaluation-mc.json`` into the run, and
        return that report (`kerasreg.engine.mc_evaluation`). ``shift``:
        score the test set under corruptions (``corruptions``, default all of
        `kerasreg.uncertainty.corruptions.CORRUPTIONS`, each at severities 1
        to 5 on ``shift_examples`` images per severity); ``ood``: the
        out-of-distribution sets; either writes ``evaluation-shift.json``
        and returns that report (`kerasreg.engine.robustness.evaluate_run`),
        with ``mc_samples`` scoring the MC mean there too.
        """
        import keras

        from kerasreg.engine.calibration import score_test_calibrated
        from kerasreg.engine.mc_evaluation import evaluate_mc
        from kerasreg.engine.preparation import prepare
        from kerasreg.layers.mc_mode import sampling_off

        if mc_samples is not None and mc_samples < 1:
            raise ConfigError(f"--mc-samples must be >= 1; got {mc_samples}")
        check_shift_flags(shift, corruptions, shift_examples)
        config = config_of_run(run_dir)
        if test_time_augmentation is not None:
            config.training.test_time_augmentation = test_time_augmentation
        if data is not None:
            from kerasreg.engine.resolution import absolute_source

            if self.fixed_data:
                raise ConfigError(f"experiment {self.name!r} brings its own data ({self.data_label()}); "
                                  f"--data cannot replace it (got {data!r})")  # fmt: skip
            config.data.source = absolute_source(data)
        path = os.path.join(run_dir, "model.keras")
        if not os.path.isfile(path):
            raise ConfigError(f"{run_dir} has no saved model (model.keras); did the run finish?")
        prepared = prepare(config, self)
        if prepared.test is None:
            raise ConfigError(f"experiment {self.name!r} has no test split to evaluate on")
        model = keras.models.load_model(path)
        if shift or ood:
            from kerasreg.engine.robustness import evaluate_run

            with sampling_off(model):
                return evaluate_run(run_dir, config, model, prepared, shift=shift, ood=ood, mc_samples=mc_samples,
                                    corruptions=corruptions, examples=shift_examples, log=log)  # fmt: skip
        if mc_samples is not None:
            return evaluate_mc(run_dir, config, model, prepared, mc_samples, log=log)
        with sampling_off(model):
            scores, _, _, calibration = score_test_calibrated(model, config, prepared)
        return {**scores, "calibration": calibration} if calibration is not None else scores


def config_of_run(run_dir):
    """The resolved config a run recorded (``config.json``), or `ConfigError`."""
    values = read_json(os.path.join(run_dir, "config.json"))
    if values is None:
        raise ConfigError(f"{run_dir} is not a kerasreg run directory (no readable config.json)")
    return build(values)


__all__ = ["Comparison", "Experiment", "Run", "Search", "config_of_run"]
