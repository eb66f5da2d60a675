"""Where a live session saves: its folder, checked before anything starts; a new numbered folder per
save; and the room a save may take (the session's budget, the disk's free space)."""

from __future__ import annotations

import shutil
from pathlib import Path

from toygan.errors import ToyganError

__all__ = ["MAX_SAVED_BYTES", "MIN_FREE_BYTES", "save_folder", "new_folder", "next_number", "check_room"]


MAX_SAVED_BYTES = 2 * 1024**3
"""What one session may write (its saves, a reset's included): a flood of resets cannot fill a disk."""


MIN_FREE_BYTES = 256 * 1024**2
"""Room a save leaves on the disk."""


def save_folder(out: str | Path, named: str) -> Path:
    """The folder a live session saves into, made now: one that cannot be is refused (``named``
    says which option gave it) before anything starts."""
    if not isinstance(out, str | Path):
        raise ToyganError(f"{named} {out!r}: give a folder's path")
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".toygan-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise ToyganError(f"{named} {str(out)!r}: cannot save runs there ({err.strerror or err}); "
                          "give a folder toygan can create or write") from None
    return out


def next_number(folder: Path, prefix: str) -> int:
    """One past the highest number of the names ``PREFIXNNN[.suffix]`` in ``folder`` (of any number of
    digits), or 1."""
    if not folder.is_dir():
        return 1
    stems = [p.name[len(prefix):].split(".")[0] for p in folder.iterdir() if p.name.startswith(prefix)]
    return max((int(s) for s in stems if s.isdigit() and s.isascii()), default=0) + 1


def new_folder(out: Path) -> Path:
    """A new, empty ``live-NNN`` folder in ``out``, numbered after the highest there (of any number
    of digits); made at once, so that no other save, in this process or another, can take it."""
    out.mkdir(parents=True, exist_ok=True)
    number = next_number(out, "live-")
    while True:
        path = out / f"live-{number:03d}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            number += 1


def check_room(out: Path, saved_bytes: int, adding: int = 0) -> None:
    """Refuse a save (or ``adding`` bytes more) past a session's budget, having saved
    ``saved_bytes`` into ``out``, or into a nearly full disk, before writing."""
    if saved_bytes >= MAX_SAVED_BYTES or saved_bytes + adding > MAX_SAVED_BYTES:
        raise ToyganError(f"this session has saved {saved_bytes / 1e9:.1f} GB of runs into "
                          f"{str(out)!r}, its limit ({MAX_SAVED_BYTES / 1e9:.1f} GB); nothing "
                          "was changed: restart toygan live to save more")
    try:
        free = shutil.disk_usage(out).free
    except OSError:
        return  # the save says why it cannot write there
    if free < MIN_FREE_BYTES:
        raise ToyganError(f"out = {str(out)!r}: {free / 1e6:.0f} MB left on its disk; a save keeps "
                          f"{MIN_FREE_BYTES / 1e6:.0f} MB free. Nothing was changed: free space first")
