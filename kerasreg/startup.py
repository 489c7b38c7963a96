"""Start-up of kerasreg's command lines: TensorFlow loaded late, and its C++ log lines kept off stderr.

A command line checks its arguments without TensorFlow, then loads it
(`load_library`). TensorFlow's C++ runtime prints notices while it is
imported (oneDNN, CUDA probing) straight to file descriptor 2, before
``TF_CPP_MIN_LOG_LEVEL`` takes effect, and logs errors such as a failed
``cuInit`` on a machine without a GPU afterwards. A kerasreg command line
promises that an error is one line on stderr, so it imports TensorFlow with
descriptor 2 pointed at /dev/null and sets ``TF_CPP_MIN_LOG_LEVEL=3``
(unless already set): real failures still surface as Python exceptions.
``KERASREG_TF_LOGS=1`` shows everything, for debugging an install. Library
users importing kerasreg are not affected.
"""

import importlib
import os
import sys

# The subpackages `import kerasreg` loads: importing them registers the
# layers, schedules and models with Keras's serialization.
SUBPACKAGES = ("architectures", "callbacks", "layers", "models", "plotting", "schedules")


def import_tensorflow_quietly():
    if "tensorflow" in sys.modules or os.environ.get("KERASREG_TF_LOGS") == "1":
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow  # noqa: F401
    except ImportError:
        pass  # reported by the import that needs it, with stderr back in place
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def load_library():
    """Imports TensorFlow (quietly) and registers kerasreg's layers and models: a command line's second step.

    A command line checks its arguments and config first, without
    TensorFlow; `kerasreg/__init__.py` skips its eager imports of
    `SUBPACKAGES` while one starts, and this imports them.
    """
    import_tensorflow_quietly()
    for name in SUBPACKAGES:
        importlib.import_module(f"kerasreg.{name}")


def running_as_command():
    """True while ``python -m kerasreg.<module>`` imports its parent packages (argv[0] is '-m')."""
    return sys.argv[:1] == ["-m"]
