"""Where the game computes: the device, torch's thread count, and the random stream a user's own
networks draw from (their dropout uses torch's global generator)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import torch

from toygan.errors import ToyganError

__all__ = ["resolve_device", "computing"]


def resolve_device(name: str) -> torch.device:
    """``cpu``, ``cuda`` or ``auto`` (cuda if there is one) as a torch device.

    Random draws stay on the CPU generators and move to the device, so a run starts from the
    same weights and sees the same data on every device; the arithmetic on a GPU may still round
    differently (bit-identical results are promised on the CPU only).
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ToyganError("train.device = 'cuda': torch sees no CUDA device here; use 'cpu' or "
                          "'auto'")
    return torch.device(name)


_inside = threading.local()


@contextlib.contextmanager
def computing(owner: object, threads: int, stream: torch.Generator | None = None) -> Iterator[None]:
    """While ``owner`` (a game) computes (re-entrant): torch's thread count set to ``threads``,
    and, given a ``stream``, torch's global random state swapped for it (a user's networks draw
    their dropout from it), so that the game replays exactly and disturbs nothing outside."""
    active = _inside.__dict__.setdefault("owners", set())
    if id(owner) in active:
        yield
        return
    previous = torch.get_num_threads()
    if stream is not None:
        outside = torch.get_rng_state()
        torch.set_rng_state(stream.get_state())
    active.add(id(owner))
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
        if stream is not None:
            stream.set_state(torch.get_rng_state())
            torch.set_rng_state(outside)
        active.discard(id(owner))
