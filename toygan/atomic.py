"""Atomic file writes: a crash or Ctrl-C never leaves a half-written history or animation."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from glob import escape as glob_escape
from pathlib import Path

from toygan.errors import ToyganError
from toygan.validate import path_arg

__all__ = ["atomic_path", "PARTIAL", "leftovers"]

PARTIAL = ".partial-"
"""What marks a file being written: ``.NAME.partial-XXXXXXXX.SUFFIX`` beside ``NAME``."""


def leftovers(path: str | Path) -> list[Path]:
    """The unfinished files of ``path`` that a killed writer left beside it (``.NAME.partial-…``,
    and those of a writer that wrote into such a file, ``..NAME.partial-….partial-…``); only the
    folder's one writer may remove them."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    found = [p for p in path.parent.glob(f".*{glob_escape(path.name)}{PARTIAL}*")
             if p.name.lstrip(".").startswith(path.name + PARTIAL)]
    return [p for p in found if p.is_file() and not p.is_symlink()]


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` with the same suffix; on success rename it onto
    ``path`` (``os.replace`` is atomic within one file system), on failure delete it. An OSError
    while writing (a full disk) names ``path``, not the temporary file; the old file stays."""
    path = path_arg(path)
    if path.is_dir():
        raise ToyganError(f"{str(path)!r} is a folder; give a file name")
    if path.exists() and not path.is_file():  # a device or a FIFO: renaming onto it would replace it
        raise ToyganError(f"{str(path)!r} is not a regular file (a device, FIFO or socket); toygan "
                          "writes only files")
    path.parent.mkdir(parents=True, exist_ok=True)
    # named for what it will be and as unfinished, so that nothing mistakes it for the file
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}{PARTIAL}", suffix=path.suffix)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except OSError as err:  # the temporary name would mean nothing to the user
        if err.filename in (tmp, Path(tmp)) or err.filename is None:
            raise OSError(err.errno, err.strerror or str(err), str(path)) from None
        raise
    finally:
        Path(tmp).unlink(missing_ok=True)
