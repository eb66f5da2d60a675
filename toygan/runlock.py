"""One writer per run folder: a second ``toygan`` process that would write into a folder another
one is writing is refused, instead of both finishing and one run silently lost.

The lock is ``flock`` on a file in the folder, held until the process ends (``hold``, for a
command's run folder) or for a block (``holding``, for one save); the system releases it when the
process dies in any way (kill -9 included), so a crash never leaves a folder locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from toygan.errors import ToyganError

__all__ = ["LOCK_FILE", "hold", "holding"]

LOCK_FILE = ".toygan.lock"
_held: dict[Path, int] = {}  # folder → open descriptor, kept open for the life of the process


def hold(folder: str | Path, flag: str = "--out") -> None:
    """Take the folder's lock for the rest of this process, or a ToyganError naming the process
    that holds it."""
    folder = Path(folder).resolve()
    if folder not in _held:
        _held[folder] = _lock(folder, flag)


@contextlib.contextmanager
def holding(folder: str | Path, flag: str = "run_dir") -> Iterator[None]:
    """The folder's lock while the block runs (nothing more if this process holds it already), or
    a ToyganError naming the process that holds it."""
    folder = Path(folder).resolve()
    if folder in _held:
        yield
        return
    fd = _lock(folder, flag)
    try:
        yield
    finally:
        os.close(fd)  # (closing the descriptor releases the lock)


def _lock(folder: Path, flag: str) -> int:
    """An open descriptor of the folder's lock file, locked; a ToyganError if it cannot be."""
    path = folder / LOCK_FILE
    with contextlib.suppress(OSError):
        if path.is_symlink():
            raise ToyganError(f"{flag} {str(folder)!r}: its lock file {LOCK_FILE} is a symbolic link, not a "
                              "plain file; remove it")
    try:  # not through a link, and never blocked by a FIFO put in its place
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
    except OSError as err:
        fix = ("it must be a folder toygan can write" if not path.exists()
               else "it must be a plain file toygan can write: remove it")
        raise ToyganError(f"{flag} {str(folder)!r}: cannot open its lock file {LOCK_FILE} "
                          f"({err.strerror or err}); {fix}") from None
    info = os.fstat(fd)
    kind = _kind(info.st_mode) if info.st_nlink <= 1 else "hard link to another file"
    if kind != "file":
        os.close(fd)
        raise ToyganError(f"{flag} {str(folder)!r}: its lock file {LOCK_FILE} is a {kind}, not a plain "
                          "file; remove it")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise ToyganError(f"{flag} {str(folder)!r}: another toygan process (pid {_printable(holder)}) is "
                          "writing this run folder; wait for it to end or choose another folder") from None
    except OSError as err:
        os.close(fd)
        raise ToyganError(f"{flag} {str(folder)!r}: cannot lock {LOCK_FILE} ({err.strerror or err})") from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISREG, "file"), (stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"),
                       (stat.S_ISCHR, "device"), (stat.S_ISBLK, "device"), (stat.S_ISDIR, "folder")):
        if test(mode):
            return name
    return "special file"


def _printable(text: str) -> str:
    return text if text.isdigit() else repr(text)
