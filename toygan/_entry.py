"""The ``toygan`` command's entry point. A Ctrl-C (or SIGTERM, SIGHUP) while the command starts
up (importing torch takes a second or two) ends it with one line, like one at any later moment: the
imports run with the signals held back (an import cut in half leaves numpy or torch unusable), and
a signal is acted on once they are done. Once the command has finished, a further Ctrl-C no
longer matters and is ignored while the interpreter shuts down (torch's exit hooks would print a
traceback)."""

import signal
import sys


def main() -> int:
    caught = []
    stops = [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {sig: signal.signal(sig, lambda signum, frame: caught.append(signum)) for sig in stops}
    try:
        from toygan.cli import main as cli_main
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if caught:
        print("toygan: interrupted", file=sys.stderr)
        return 130
    status = cli_main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return status
