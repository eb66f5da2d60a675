"""The ``toygan`` command's entry point. A stop signal (Ctrl-C's SIGINT, SIGTERM, SIGHUP) at any
moment of the command ends it with one line and exit 130, or, where a command handles them
(training stops at the end of a step and saves), as that command says.

The signals are held back while the command starts up (importing torch takes a second or two): an
import cut in half would leave numpy or torch unusable, so a signal is acted on once the imports
are done. This module uses the builtin ``_signal``, not ``signal``, whose import (with ``enum``)
is slow enough on a busy machine for a Ctrl-C to land in it before any handler is in place. From then
on SIGTERM and SIGHUP raise KeyboardInterrupt as Ctrl-C does. Once the command has finished,
further signals no longer matter and are ignored while the interpreter shuts down (torch's exit
hooks would print a traceback, and a SIGTERM would end a finished command with status 143).
"""

import _signal
import sys

from toygan._stop import interrupt as _interrupt

_STOPS = [getattr(_signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(_signal, name)]


def main() -> int:
    caught: list[int] = []
    for sig in _STOPS:
        _signal.signal(sig, lambda signum, frame: caught.append(signum))
    try:
        from toygan.cli import main as cli_main  # (here, with the signals held: see above)
    finally:
        for sig in _STOPS:
            _signal.signal(sig, _interrupt)
    status = None
    try:
        try:
            if caught:
                raise KeyboardInterrupt
            status = cli_main()
        finally:  # ignored from the moment the command is done, so none can come after it
            _ignore()
    except KeyboardInterrupt:  # before cli_main could catch it, in its last lines, or in _ignore
        _ignore()
        if status is not None:  # the command had finished (and said so): the stop came too late
            return status
        print("toygan: interrupted", file=sys.stderr)
        return 130
    return status


def _ignore() -> None:
    for sig in _STOPS:
        _signal.signal(sig, _signal.SIG_IGN)
