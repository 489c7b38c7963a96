"""Decoded-array cache: ``.npz`` files keyed by a source's path, sizes and mtimes.

Decoding 60,000 JPEG files takes seconds; reading the decoded arrays back
takes a fraction of one. `cached_arrays` runs a decoder once per version
of a source and keeps its arrays under the cache folder:

- the key hashes the absolute path, the size and mtime of the source (for
  a folder: the number, total size and latest mtime of the files below
  it) and `FORMAT_VERSION`, so an edited source is decoded again;
- the file is written to a temporary file in the cache folder and moved
  into place with `os.replace`, so a crashed or concurrent run never
  leaves a half-written cache entry behind;
- an unreadable entry is decoded again and overwritten; an unwritable
  cache folder only costs the cache (a warning), never the run.
"""

import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np

from kerasreg.atomic_files import atomic_write

# Bump when the decoders change what they produce: old entries stop matching.
FORMAT_VERSION = 1

CACHE_ENV = "KERASREG_CACHE"

_KEYS = ("x_train", "y_train", "x_test", "y_test", "class_names")


def default_cache_dir():
    """``$KERASREG_CACHE`` if set, else ``~/.cache/kerasreg``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "kerasreg").expanduser()


def resolve_cache_dir(cache_dir=None):
    """``cache_dir`` as a `Path`, or the default cache folder when it is ``None``."""
    return default_cache_dir() if cache_dir is None else Path(cache_dir).expanduser()


def fingerprint(path):
    """Size and mtime of a file, or file count, total size and latest mtime below a folder."""
    path = Path(path)
    if path.is_file():
        return fingerprint_files([path])
    return fingerprint_files(Path(folder) / name for folder, _, names in os.walk(path) for name in names)


def fingerprint_files(paths):
    """Number, total size and latest mtime of the files ``paths``."""
    files = size = latest = 0
    for path in paths:
        stat = os.stat(path)
        files += 1
        size += stat.st_size
        latest = max(latest, stat.st_mtime_ns)
    return {"files": files, "bytes": size, "mtime_ns": latest}


def cache_path(cache_dir, kind, path, stamp=None):
    """Where the cache entry of decoding ``path`` as ``kind`` lives.

    ``stamp`` is the source's `fingerprint` (computed when ``None``).
    """
    path = Path(path).resolve()
    key = json.dumps(
        {"version": FORMAT_VERSION, "kind": kind, "path": str(path), **(stamp or fingerprint(path))},
        sort_keys=True,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in path.name)[:60]
    return Path(cache_dir) / f"{kind}-{stem}-{digest}.npz"


def cached_arrays(decode, kind, path, cache_dir, stamp=None):
    """The arrays of ``decode()`` for source ``path``, from the cache when it has them.

    Args:
        decode: Callable returning a dict with ``x_train``, ``y_train``,
            ``x_test``, ``y_test`` and ``class_names``; called only on a
            cache miss.
        kind: Str naming the decoder (part of the key and of the file name).
        path: The source path the key is computed from.
        cache_dir: Cache folder; ``None`` disables the cache.
        stamp: The source's `fingerprint`, if already known.

    Returns:
        ``(arrays, entry)``: the dict and the path of its cache file
        (``None`` when not cached).
    """
    if cache_dir is None:
        return decode(), None
    entry = cache_path(cache_dir, kind, path, stamp)
    arrays = read_entry(entry)
    if arrays is not None:
        return arrays, entry
    arrays = decode()
    try:
        write_entry(entry, arrays)
    except OSError as error:
        warnings.warn(f"Could not write the data cache {entry}: {error}", stacklevel=3)
        return arrays, None
    return arrays, entry


def read_entry(entry):
    """The arrays stored in ``entry``, or ``None`` when it is missing or unreadable."""
    try:
        with np.load(entry, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in _KEYS}
    except Exception:  # Missing, truncated or foreign: decode again, overwrite.
        return None
    arrays["class_names"] = tuple(str(name) for name in arrays["class_names"])
    return arrays


def write_entry(entry, arrays):
    """Write ``arrays`` to ``entry`` atomically (`atomic_write`)."""
    # mkstemp's 0o600 would hide a shared cache from other users.
    with atomic_write(entry, "wb", permissions=0o644) as file:
        np.savez(
            file,
            **{key: arrays[key] for key in _KEYS if key != "class_names"},
            class_names=np.asarray(arrays["class_names"], dtype=str),
        )
