"""`forget_custom_gradients`: frees the traced graphs TensorFlow keeps after a model is gone.

Why: every time Keras traces a train step under TensorFlow, its optimizer
all-reduces the gradients through the replica context (even with one
device), and TensorFlow implements that all-reduce with
``tf.custom_gradient``. In graph mode each such call registers a gradient
function named ``CustomGradient-<n>`` in TensorFlow's process-wide gradient
registry, and nothing ever unregisters it. The function's closure holds the
traced step's whole graph, so every trial of a search leaked its train
step: ~12 MB per smoke-sized trial here, more for larger models
(keras-tuner #395, #873), and ``keras.backend.clear_session()`` does not
release it.

The gradient functions are needed only while gradients are being traced,
i.e. during ``fit``'s first step; once a trial is over its models are
discarded, and the entries registered during it can go.
"""

import contextlib

from kerasreg.internals import tensorflow_gradient_registry as _registry

PREFIX = "CustomGradient-"


@contextlib.contextmanager
def forget_custom_gradients():
    """Unregisters, on exit, the custom gradients TensorFlow registered inside the block.

    Wrap code whose models are discarded after it (a tuning trial). Entries
    registered before the block are left alone. A no-op for other backends
    or a TensorFlow without this registry.

    Example:

    >>> from kerasreg.engine.graph_memory import forget_custom_gradients
    >>> with forget_custom_gradients():
    ...     pass  # build a model, fit it, save what is worth keeping
    """
    registry = _registry()
    before = set(registry) if registry is not None else set()
    try:
        yield
    finally:
        registry = _registry()
        if registry is not None:
            for key in [k for k in registry if k.startswith(PREFIX) and k not in before]:
                del registry[key]
