"""How much memory this process may still take (the system's, a container's and an address-space
limit's view, whichever is least), and refusing work that would need more, before it starts."""

from __future__ import annotations

import os
from pathlib import Path

from toygan.errors import ToyganError

__all__ = ["available_bytes", "check_bytes", "gib_text"]


def available_bytes() -> int | None:
    """Memory this process can still take: the least of the system's available memory, what the
    control group (a container's limit) leaves, and what the address-space limit (``ulimit -v``,
    ``RLIMIT_AS``, as on shared clusters) leaves above what the process maps already; None where
    none can be read."""
    found = []
    room = _address_space_left()
    if room is not None:
        found.append(room)
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit != "max":
            used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
            found.append(max(int(limit) - used, 0))
    except (OSError, ValueError):
        pass
    if not found and hasattr(os, "sysconf"):
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, ValueError):
            pass
    return min(found) if found else None


def _address_space_left() -> int | None:
    """Bytes the process may still map under ``RLIMIT_AS``, or None without such a limit."""
    try:
        import resource  # (POSIX only)

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft == resource.RLIM_INFINITY:
            return None
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return max(soft - int(line.split()[1]) * 1024, 0)
    except (ImportError, OSError, ValueError, IndexError):
        pass
    return None


def check_bytes(need: int, what: str, lower: str) -> None:
    """Refuse work that needs ``need`` bytes when less is available, before it starts: a
    ToyganError saying ``what`` would need it and what to ``lower``."""
    have = available_bytes()
    if have is not None and need > have:
        raise ToyganError(f"{what} would need about {gib_text(need)} of memory and {gib_text(have)} is available; "
                          f"lower {lower}")


def gib_text(n: int) -> str:
    return f"{n / 2**30:,.1f} GiB" if n >= 2**28 else f"{n / 2**20:,.0f} MiB"
