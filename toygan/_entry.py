"""The ``toygan`` command's entry point: a Ctrl-C while the command starts up (importing torch
takes a second or two) ends it with one line, like one at any later moment."""

import sys


def main() -> int:
    try:
        from toygan.cli import main as cli_main
    except KeyboardInterrupt:
        print("toygan: interrupted", file=sys.stderr)
        return 130
    return cli_main()
