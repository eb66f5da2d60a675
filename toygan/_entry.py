"""The ``toygan`` command's entry point. A stop signal (Ctrl-C's SIGINT, SIGTERM, SIGHUP) at any
moment of the command ends it with one line and exit 130, or, where a command handles them
(training stops at the end of a step and saves), as that command says. While the command starts
up (importing torch takes a second or two) the imports run with the signals held back (an import
cut in half leaves numpy or torch unusable) and a signal is acted on once they are done; from then
on SIGTERM and SIGHUP raise KeyboardInterrupt as Ctrl-C does. Once the command has finished,
further signals no longer matter and are ignored while the interpreter shuts down (torch's exit
hooks would print a traceback, and a SIGTERM would end a finished command with status 143)."""

import signal
import sys


def main() -> int:
    caught = []
    stops = [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]
    for sig in stops:
        signal.signal(sig, lambda signum, frame: caught.append(signum))
    try:
        from toygan.cli import main as cli_main
    finally:
        for sig in stops:
            signal.signal(sig, _interrupt)
    try:
        if caught:
            raise KeyboardInterrupt
        status = cli_main()
    except KeyboardInterrupt:  # one that came before cli_main could catch it, or in its last lines
        _ignore(stops)
        print("toygan: interrupted", file=sys.stderr)
        return 130
    _ignore(stops)
    return status


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _ignore(stops) -> None:
    for sig in stops:
        signal.signal(sig, signal.SIG_IGN)
