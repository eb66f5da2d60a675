"""The signals that stop a command, and holding them back while something must not be cut in half.

Ctrl-C (SIGINT), a scheduler's or ``kill``'s SIGTERM and a closed terminal's SIGHUP all mean "stop,
keeping what you have": toygan treats the three alike. Some moments must not be cut: an import
(numpy or torch half imported are unusable), the writing of a run folder (never half a run) and the
start of worker processes (a pool cut while it starts leaves workers that the exit then waits for).
``deferred`` holds the signals back for such a block and acts on them when it ends.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["STOP_SIGNALS", "deferred", "CtrlC"]

STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
"""Ctrl-C, ``kill`` (and batch schedulers), and a closed terminal."""


@contextlib.contextmanager
def deferred(signums: tuple[signal.Signals, ...] = STOP_SIGNALS) -> Iterator[None]:
    """The signals ``signums`` held back while the block runs, then passed to the handlers that
    were in place, in the order they came (in the main thread; elsewhere Python allows no handler
    and nothing changes). A signal whose handler is the default stops as Ctrl-C does, with a
    KeyboardInterrupt, once the block is done."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[tuple[int, object]] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: caught.append((signum, frame)))
                for sig in signums}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    for signum, frame in caught:
        handler = previous[signum]
        if callable(handler):
            handler(signum, frame)
        elif handler == signal.SIG_DFL:
            raise KeyboardInterrupt


class CtrlC:
    """While open, the first stop signal (Ctrl-C's SIGINT, SIGTERM or SIGHUP: ``toygan.signals``)
    only sets ``pressed`` (the loop stops at the end of the step, with a whole state); a second one
    raises KeyboardInterrupt at once. Nested, the inner one is the outer one (the command line
    opens one before it announces the run, so that a signal right after the announcement still
    stops cleanly). Outside the main thread, where Python allows no handler, the signals keep
    their handlers."""

    _open: CtrlC | None = None

    def __enter__(self) -> CtrlC:
        if CtrlC._open is not None:
            return CtrlC._open
        self.pressed = False
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._handle) for sig in STOP_SIGNALS}
            CtrlC._open = self
        return self

    def _handle(self, signum, frame) -> None:
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True

    def __exit__(self, *exc) -> None:
        if CtrlC._open is self:
            for sig, handler in self._previous.items():
                signal.signal(sig, handler)
            CtrlC._open = None
