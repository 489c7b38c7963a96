"""Running kerasreg's command lines from tests: in this process (fast), or in a real subprocess.

Most tests run a command in-process: the same ``main`` a console runs,
with the working directory, environment, stdout and stderr of a process
emulated, and the exit status and output returned as
`subprocess.CompletedProcess` would. An exception that escapes ``main``
becomes exit status 1 with its traceback on stderr, as in a real process.
A handful of tests still start real processes: what only a process shows
(a SIGKILL, ``TF_CONFIG`` workers, ``python -m`` itself, a fresh
interpreter's imports).
"""

import contextlib
import io
import os
import subprocess
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def _process_like(cwd, env):
    previous_cwd, previous_env = os.getcwd(), dict(os.environ)
    os.chdir(cwd)
    os.environ.update(env)
    try:
        yield
    finally:
        os.chdir(previous_cwd)
        os.environ.clear()
        os.environ.update(previous_env)


def run_main(main, args, *, cwd, env=None, importable=False):
    """``main(args)`` as if it were a process started in ``cwd``; a `subprocess.CompletedProcess`.

    ``importable``: modules in ``cwd`` can be imported (as ``python -m`` run
    there allows); those imported are forgotten afterwards, so another
    test's module of the same name is imported afresh.
    """
    out, err = io.StringIO(), io.StringIO()
    before = set(sys.modules)
    if importable:
        sys.path.insert(0, str(cwd))
    try:
        with _process_like(cwd, {"KERASREG_CACHE": str(Path(cwd) / "cache"), **(env or {})}):
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(list(args))
                except SystemExit as exit:
                    code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
                    if exit.code is not None and not isinstance(exit.code, int):
                        print(exit.code, file=sys.stderr)
                except BaseException:  # noqa: BLE001 - what the interpreter would print, then status 1
                    traceback.print_exc()
                    code = 1
    finally:
        if importable:
            sys.path.remove(str(cwd))
            for name in set(sys.modules) - before:
                if str(getattr(sys.modules[name], "__file__", "") or "").startswith(str(cwd)):
                    del sys.modules[name]
    return subprocess.CompletedProcess(list(args), code or 0, out.getvalue(), err.getvalue())


def cifar(*args, cwd, importable=False):
    """``python -m kerasreg.recipes.cifar ARGS`` in this process."""
    from kerasreg.recipes.cifar import main

    return run_main(main, args, cwd=cwd, importable=importable)


def kerasreg_cli(*args, cwd):
    """``python -m kerasreg ARGS`` in this process."""
    from kerasreg.cli.commands import main

    return run_main(lambda argv: main(argv=argv, prog="python -m kerasreg"), args, cwd=cwd, importable=True)


def subprocess_run(*command, cwd, env=None, timeout=600):
    """A real process: ``python COMMAND...`` (``-m MODULE`` or a script), with the repository importable.

    ``env`` adds variables; a None value removes one.
    """
    full = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT), "KERASREG_CACHE": str(Path(cwd) / "cache"),
            **(env or {})}  # fmt: skip
    full = {name: value for name, value in full.items() if value is not None}
    return subprocess.run([sys.executable, *command], capture_output=True, text=True, cwd=cwd, env=full,
                          timeout=timeout)  # fmt: skip
