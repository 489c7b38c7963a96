"""`atomic_write`: files that a reader sees either whole or not at all.

Everything kerasreg writes for a later run or a person to read (results,
configs, the data cache, plots) goes through here: the bytes go to a
temporary file in the target's folder, which then replaces the target with
`os.replace` (an atomic rename on one file system). On any error the
temporary file is removed and the target is left as it was.
"""

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_write(path, mode="w", permissions=None):
    """Yields a stream that becomes ``path`` when the ``with`` block ends without error.

    Args:
        path: The target file; its folder is created if needed.
        mode: ``"w"`` (text) or ``"wb"`` (bytes).
        permissions: Optional mode bits for the final file (``mkstemp``
            creates it 0o600).

    Example:

    >>> import os, tempfile
    >>> from kerasreg.atomic_files import atomic_write
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_write(target) as stream:
    ...     _ = stream.write("done")
    >>> open(target).read()
    'done'
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    name = os.path.basename(path)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".tmp-{name}.")
    try:
        with os.fdopen(handle, mode) as stream:
            yield stream
        if permissions is not None:
            os.chmod(temporary, permissions)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
