"""``evaluate RUN_DIR --mc-samples N``: a finished run's test set with and without Monte Carlo dropout.

Reports accuracy, NLL, Brier score and ECE of the deterministic model (MC
off, `kerasreg.layers.disable_mc`, where the run's layers sample at
inference as trained) and of the MC predictive mean
(`kerasreg.uncertainty.mc_predict`, the run's dropout layers sampling at
inference), plus the mean predictive entropy and mutual information; draws
a reliability diagram of each; and writes, in the run directory:

- ``evaluation-mc.json`` (atomically);
- ``reliability.png`` and ``reliability-mc.png``;
- TensorBoard images and scalars under ``evaluate/`` (the run's
  TensorBoard entry shows them beside its training curves).
"""

import os

import numpy as np

from kerasreg import internals
from kerasreg.engine.evaluation import evaluation_model, prediction_scores, test_predictions
from kerasreg.engine.progress import show_bar
from kerasreg.engine.run_files import write_json_atomic
from kerasreg.engine.training import versions


def _stochastic_layers(model):
    from kerasreg.layers import StochasticLayer

    import keras

    kinds = (StochasticLayer, keras.layers.Dropout, keras.layers.SpatialDropout1D, keras.layers.SpatialDropout2D,
             keras.layers.SpatialDropout3D)  # fmt: skip
    return [layer.name for layer in internals.flatten_layers(model) if isinstance(layer, kinds)]


def _sampling_at_inference(model):
    """Names of the layers of ``model`` that draw noise at inference (``mc=True``)."""
    from kerasreg.layers import StochasticLayer

    return [layer.name for layer in internals.flatten_layers(model)
            if isinstance(layer, StochasticLayer) and layer.is_stochastic(False)]  # fmt: skip


def evaluate_mc(run_dir, config, model, prepared, num_samples, log=print):
    """Scores ``model`` (a run's loaded model) with and without MC sampling; writes the files; returns the report."""
    import tensorflow as tf

    from kerasreg.layers import disable_mc
    from kerasreg.reporting.tensorboard import png_to_image
    from kerasreg.uncertainty import mc_predict, plot_reliability_diagram

    if prepared.outputs.kind != "softmax":
        from kerasreg.config import ConfigError

        raise ConfigError("--mc-samples scores softmax classifiers (several classes); this run's model outputs "
                          f"{prepared.outputs.kind} values")  # fmt: skip
    evaluated = evaluation_model(model, config, prepared.fresh_metrics())
    # A model trained with layers that sample at inference (the `mc`
    # dropout variant) would score one random sample as "deterministic";
    # its MC-off copy gives the deterministic half of the comparison.
    sampling = _sampling_at_inference(model)
    deterministic = evaluation_model(disable_mc(model), config, prepared.fresh_metrics()) if sampling else evaluated
    if sampling:
        log(f"deterministic scores with MC off in {', '.join(sampling)} (they sample at inference as trained)")
    labels, probabilities = test_predictions(deterministic, prepared.test, prepared.one_hot, prepared.outputs)
    images = np.concatenate([np.asarray(x) for x, _ in prepared.test])
    stochastic = _stochastic_layers(model)
    if not stochastic:
        log("the model has no dropout or other stochastic layer: MC samples equal the deterministic prediction")
    sampled = mc_predict(evaluated, images, num_samples=num_samples, batch_size=config.training.batch_size,
                         from_logits=prepared.outputs.logits, progress=show_bar())  # fmt: skip
    report = {
        "run_dir": run_dir,
        "samples": num_samples,
        "stochastic_layers": stochastic,
        "test_time_augmentation": config.training.test_time_augmentation,
        "versions": versions(),
        "deterministic": prediction_scores(probabilities, labels),
        "mc": {**prediction_scores(sampled["mean"], labels),
               "mean_entropy": float(np.mean(sampled["entropy"])),
               "mean_mutual_information": float(np.mean(sampled["mutual_information"]))},  # fmt: skip
    }
    pngs = {
        "deterministic": plot_reliability_diagram(probabilities, labels, os.path.join(run_dir, "reliability.png"),
                                                  title="reliability: deterministic"),  # fmt: skip
        "mc": plot_reliability_diagram(sampled["mean"], labels, os.path.join(run_dir, "reliability-mc.png"),
                                       title=f"reliability: MC mean of {num_samples} samples"),  # fmt: skip
    }
    writer = tf.summary.create_file_writer(os.path.join(run_dir, "evaluate"))
    with writer.as_default():
        for kind, png in pngs.items():
            tf.summary.image(f"reliability/{kind}", png_to_image(png), step=num_samples)
            for name in ("accuracy", "nll", "brier", "ece"):
                tf.summary.scalar(f"{kind}/{name}", report[kind][name], step=num_samples)
    writer.close()
    write_json_atomic(os.path.join(run_dir, "evaluation-mc.json"), report)
    return report
