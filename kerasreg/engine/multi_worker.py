"""Multi-worker training through ``TF_CONFIG`` and `tf.distribute.MultiWorkerMirroredStrategy`.

Each worker runs the same command with its own ``TF_CONFIG`` (the standard
TensorFlow cluster description); worker 0 is the chief and alone writes the
run directory, TensorBoard and checkpoints. ``training.batch_size`` is the
global batch: every worker builds the same seeded pipeline and
`tf.distribute` hands each worker its share of every batch, so N workers
take the same steps as one process with that batch (tested: equal metrics).

Keras 3's ``fit`` does not run under this strategy as shipped (Keras 3.15;
keras-team/keras#20585), for two reasons this module works around on the
model instance, without touching Keras:

1. ``fit`` first builds the model from one batch averaged over workers with
   ``strategy.reduce(..., axis=None)``, which fails eagerly on per-replica
   images ("Attempt to convert a value (PerReplica...)"); the local
   replica's batch gives the same shapes.
2. Its step functions average each worker's scalar metrics with ``axis=0``,
   which fails on scalars ("Invalid reduction dimension 0"); ours read the
   metrics outside the replicas, where their totals and counts are summed
   over workers, so they are the metrics of the whole batch.
"""

import json
import os

from kerasreg import internals
from kerasreg.config import ConfigError


def cluster():
    """``(num_workers, task_index)`` from ``TF_CONFIG``, or ``None`` when it is unset.

    Raises:
        ConfigError: ``TF_CONFIG`` is not a worker cluster description.
    """
    text = os.environ.get("TF_CONFIG")
    if not text:
        return None
    try:
        spec = json.loads(text)
        workers = spec["cluster"]["worker"]
        task = spec["task"]
        index = int(task["index"])
    except (ValueError, TypeError, KeyError) as error:
        raise ConfigError(
            f"TF_CONFIG={text!r} is not a cluster description like "
            '{"cluster": {"worker": ["host:port", ...]}, "task": {"type": "worker", "index": 0}} '
            f"({type(error).__name__}: {error})"
        ) from None
    if set(spec["cluster"]) != {"worker"}:
        raise ConfigError(f"TF_CONFIG cluster has {sorted(spec['cluster'])}; kerasreg uses workers only (worker 0 is the chief)")
    if task.get("type") != "worker" or not 0 <= index < len(workers):
        raise ConfigError(f"TF_CONFIG task {task} is not one of the {len(workers)} workers")
    return len(workers), index


def strategy():
    """A `MultiWorkerMirroredStrategy` for this worker (call before other TensorFlow work)."""
    import tensorflow as tf

    return tf.distribute.MultiWorkerMirroredStrategy()


def shard_by_data(dataset):
    """Workers split each batch's examples (the pipeline is in memory, not files)."""
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def adapt_model(model, strategy):
    """Gives a compiled ``model`` the build and step functions that work under ``strategy`` (see above)."""
    import tensorflow as tf

    if model.steps_per_execution != 1:
        raise ConfigError(f"multi-worker training runs one step per execution; steps_per_execution={model.steps_per_execution}")

    def local(value):
        return strategy.experimental_local_results(value)[0] if isinstance(value, tf.distribute.DistributedValues) else value

    def build_from_local_batch(iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = tf.nest.map_structure(local, next(batches))
                break
        with strategy.scope():
            internals.symbolic_build(model, data_batch)

    def step_function(step):
        @tf.function(reduce_retracing=True)
        def one_step(data):
            strategy.run(step, args=(data,))
            # Read outside the replicas, the metrics' sync-on-read totals and
            # counts are summed over workers: the metrics of the whole batch.
            return model.get_metrics_result()

        def function(iterator):
            return one_step(next(iterator))

        return function

    internals.replace_symbolic_build(model, build_from_local_batch)
    model.train_function = step_function(model.train_step)
    model.test_function = step_function(model.test_step)
