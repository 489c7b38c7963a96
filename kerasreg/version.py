"""kerasreg's version and the identity of the code that is running (every result file records both)."""

import functools
import hashlib
import os
import subprocess

__version__ = "0.1.0"

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def source_hash(package=_PACKAGE):
    """SHA-256 over the relative path and bytes of every ``.py`` file under ``package``, in path order.

    Two installs give the same hash exactly when they run the same kerasreg
    code, whether from a git checkout, an sdist or a wheel.
    """
    paths = []
    for folder, dirs, files in os.walk(package):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        paths += [os.path.join(folder, name) for name in files if name.endswith(".py")]
    digest = hashlib.sha256()
    for relative, path in sorted((os.path.relpath(p, package).replace(os.sep, "/"), p) for p in paths):
        digest.update(relative.encode() + b"\0")
        with open(path, "rb") as handle:
            digest.update(handle.read() + b"\0")
    return digest.hexdigest()


def _git(*args):
    try:
        done = subprocess.run(["git", "-C", _PACKAGE, *args], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@functools.lru_cache(maxsize=None)
def code_identity():
    """What ties a result to the code that produced it.

    ``{"version", "source_sha256", "commit", "dirty"}``: the package version,
    `source_hash`, and, when kerasreg runs from a git checkout, the commit
    and whether the package's files differ from it (``commit`` and ``dirty``
    are None otherwise). Computed once per process.
    """
    commit = _git("rev-parse", "HEAD")
    dirty = None
    if commit is not None:
        status = _git("status", "--porcelain", "--untracked-files=no", "--", ".")
        dirty = None if status is None else bool(status)
    return {"version": __version__, "source_sha256": source_hash(), "commit": commit, "dirty": dirty}


def short_code_identity(identity):
    """``"0.1.0+src.1a2b3c4d"``: the version and the first 8 hex digits of the source hash, as tables print it."""
    if not identity:
        return "not recorded"
    return f"{identity['version']}+src.{identity['source_sha256'][:8]}"
