"""Runs the cifar recipe's command line and SIGKILLs its own process at a chosen point.

    python -m tests.engine.kill_at POINT N -- ARGS...

``POINT`` is ``checkpoint`` (right after the N-th epoch checkpoint this
process writes, anywhere: a comparison's or an ensemble's later runs
included) or ``results`` (when the test set is about to be evaluated: the
last checkpoint written, ``results.json`` not). SIGKILL runs no clean-up,
no ``finally``, no callback: what a crash or a pulled plug leaves behind.
"""

import os
import signal
import sys


def _die():
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def kill_after_checkpoint(n):
    from kerasreg.engine import checkpoint

    original = checkpoint.RunCheckpoint.on_epoch_end
    written = []

    def on_epoch_end(self, epoch, logs=None):
        original(self, epoch, logs)
        written.append(epoch)
        if len(written) == n:
            _die()

    checkpoint.RunCheckpoint.on_epoch_end = on_epoch_end


def kill_before_results():
    from kerasreg.engine import training

    training.evaluate_test = lambda *args, **kwargs: _die()


def main(argv):
    point, n, separator, *args = argv
    assert separator == "--", argv
    if point == "checkpoint":
        kill_after_checkpoint(int(n))
    elif point == "results":
        kill_before_results()
    else:
        raise SystemExit(f"unknown kill point {point!r}")
    from kerasreg.recipes.cifar import main as cifar

    return cifar(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
