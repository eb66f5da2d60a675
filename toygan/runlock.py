"""One writer per run folder: a second ``toygan`` process that would write into a folder another
one is writing is refused, instead of both finishing and one run silently lost.

The lock is ``flock`` on a file in the folder, held until the process ends; the system releases it
when the process dies in any way (kill -9 included), so a crash never leaves a folder locked.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from toygan.errors import ToyganError

__all__ = ["LOCK_FILE", "hold"]

LOCK_FILE = ".toygan.lock"
_held: dict[Path, int] = {}  # folder → open descriptor, kept open for the life of the process


def hold(folder: str | Path, flag: str = "--out") -> None:
    """Take the folder's lock for the rest of this process, or a ToyganError naming the process
    that holds it."""
    folder = Path(folder).resolve()
    if folder in _held:
        return
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise ToyganError(f"{flag} {str(folder)!r}: another toygan process (pid {holder}) is writing "
                          "this run folder; wait for it to end or choose another folder") from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    _held[folder] = fd
