"""Start-up of kerasreg's command lines: TensorFlow's import-time notices kept off stderr.

TensorFlow's C++ runtime prints notices while it is imported (oneDNN, CUDA
probing) straight to file descriptor 2, before ``TF_CPP_MIN_LOG_LEVEL``
takes effect. A kerasreg command line promises that bad input gives one
line on stderr, so its start-up imports TensorFlow with descriptor 2 pointed
at /dev/null. Library users importing kerasreg are not affected, and
``KERASREG_TF_STARTUP_LOGS=1`` keeps the notices for debugging an install.
"""

import os
import sys


def import_tensorflow_quietly():
    if "tensorflow" in sys.modules or os.environ.get("KERASREG_TF_STARTUP_LOGS") == "1":
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
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


def running_as_command():
    """True while ``python -m kerasreg.<module>`` imports its parent packages (argv[0] is '-m')."""
    return sys.argv[:1] == ["-m"]
