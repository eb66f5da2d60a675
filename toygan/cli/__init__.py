"""The ``toygan`` command: parse, call the API, report. Exit status: 0 done, 1 not done as asked
(training diverged, a claim did not hold, a live session not saved: docs/cli.md), 2 bad input (one
line on stderr, no traceback), 130 interrupted.

One module per command or close group, each with its parser beside its handler; this one only
assembles them and turns the library's errors into one line."""

from __future__ import annotations

import argparse
import sys
import warnings

from toygan import __version__
from toygan.cli import dirac, live, presets, recipes, render, sweep, train
from toygan.cli.common import EXIT_BAD_INPUT, EXIT_INTERRUPTED
from toygan.errors import ToyganError, ToyganNotice
from toygan.validate import printable

__all__ = ["main"]

COMMANDS = (train.demo_command, train.train_command, render.render_command, render.figure_command,
            render.compare_command, dirac.dirac_command, recipes.animations_command, sweep.sweep_command,
            live.live_command, recipes.check_command, presets.presets_command)
"""Each adds its command to the parser, in the order --help lists them."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line like every other bad-input message (no usage block)."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"toygan: error: {printable(message)} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="toygan", description="Train small GANs on 2D toy data and animate the minimax game.")
    parser.add_argument("--version", action="version", version=f"toygan {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


_API_NAMES = {  # the library's argument → the option that sets it, for the commands that have it
    "max_frames": "--frames", "fps": "--fps", "width": "--width", "dpi": "--dpi", "cmap": "--cmap",
    "size": "--size", "member": "--member", "panels": "--panels", "steps": "--steps", "step": "--steps",
    "lr": "--lr", "theta0": "--theta0", "psi0": "--psi0", "scheme": "--runs", "gamma": "--runs",
    "variant": "--runs", "d_steps": "--d-steps", "consensus": "--consensus",
    "sga_lambda": "--sga-lambda", "lookahead_k": "--lookahead-k", "lookahead_alpha": "--lookahead-alpha",
    "live.speed": "--speed", "live.width": "--width", "live.panels": "--panels", "format": "--format",
}


def _as_flags(message: str, args: argparse.Namespace, argv: list[str]) -> str:
    """A library's message about its argument (``max_frames = 1: ...``) said of the option that
    set it, with the value as the user wrote it (``--frames 1: ...``)."""
    for said, flag in (("panel ", "--panels"), ("output ", "--out")):
        if message.startswith(said) and hasattr(args, flag[2:]):
            return f"{flag}: {message}"
    if message.startswith("preset ") and getattr(args, "preset", None) is not None:
        return f"--preset {args.preset}: {message.partition(': ')[2]}"  # preset_config's own words
    name, sep, rest = message.partition(" = ")
    flag = _API_NAMES.get(name)
    if not sep or flag is None or not hasattr(args, flag[2:].replace("-", "_")):
        return message
    value, colon, why = rest.partition(": ")
    given = [a.split("=", 1)[1] if "=" in a else argv[i + 1] for i, a in enumerate(argv)
             if (a == flag and i + 1 < len(argv)) or a.startswith(flag + "=")]
    if given and colon and flag != "--runs":  # (--runs holds several values: name the option only)
        return f"{flag} {given[-1]}: {why}"
    return f"{flag}: {name} = {rest}"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``toygan`` command; returns the exit status. Warnings (NumPy's, say)
    are held back while it runs: after an error, its one line is all that is printed."""
    argv = sys.argv[1:] if argv is None else list(argv)
    with warnings.catch_warnings(record=True) as held:  # (the filters in place still apply)
        status = _run(argv)
    if status != EXIT_BAD_INPUT:
        for w in held:
            if issubclass(w.category, ToyganNotice):  # toygan's own: a line, not a source location
                sys.stderr.write(f"toygan: note: {printable(str(w.message))}\n")
                continue
            sys.stderr.write(printable(warnings.formatwarning(w.message, w.category, w.filename, w.lineno,
                                                              w.line)))
    return status


def _run(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as done:  # --help, --version, or a bad option (already said on one line)
        return int(done.code or 0)
    try:
        if isinstance(getattr(args, "out", None), str) and not args.out.strip():
            # an empty path is the current folder: a run or a sweep would be written all over it
            raise ToyganError(f"--out {args.out!r}: name a file or folder to write")
        return args.func(args)
    except ToyganError as err:
        print(f"toygan: error: {printable(_as_flags(str(err), args, argv))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("toygan: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as err:  # a folder that cannot be written, a full disk
        where = f"{err.filename}: " if err.filename else ""
        print(printable(f"toygan: error: {where}{err.strerror or err}"), file=sys.stderr)
        return EXIT_BAD_INPUT
