"""``toygan render``, ``figure`` and ``compare``: draw saved runs, never train; and the options every
drawing command shares (format, frame rate, size, look)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from toygan.checkpoint import HISTORY_FILE
from toygan.errors import ToyganError
from toygan.history import History
from toygan.render import Column, Look, compare, render, seeds
from toygan.render.animation import FORMATS
from toygan.render.captions import parse_captions
from toygan.render.figure import check_d_range
from toygan.render.panels import PANELS
from toygan.render.still import still
from toygan.render.style import D_CMAP, STYLES
from toygan.render.timing import TIMINGS, parse_holds
from toygan.render.writers import STILL_FORMATS
from toygan.validate import printable

__all__ = ["render_command", "figure_command", "compare_command", "output_options", "look_of", "frame_of"]


def render_command(sub: argparse._SubParsersAction) -> None:
    """``toygan render`` and its options."""
    render = sub.add_parser("render", help="render a saved run as GIF, MP4, PNG filmstrip or HTML player",
                            description="Render RUN_DIR/history.npz again, without training.")
    render.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by toygan train")
    render.add_argument("--out", help="output file (default: RUN_DIR/animation.FORMAT)")
    render.add_argument("--member", type=int, default=0, help="ensemble member to show")
    render.add_argument("--panels",
                        help="comma-separated panels, left to right, from: "
                             f"{', '.join(PANELS)} (default: samples,discriminator,convergence; "
                             "for a 1D target goodfellow,convergence)")
    render.add_argument("--timing", choices=list(TIMINGS), default="even",
                        help="when each snapshot is shown: even; log (each tenfold of steps the "
                             "same time: the early steps slowed down); changes (time where the "
                             "samples and D change most) (default: even)")
    render.add_argument("--hold", help="hold the frames of these steps, as STEP:SECONDS,... "
                                       "(e.g. 200:2,3000:1.5)")
    caption_option(render)
    output_options(render, fps=12)
    render.set_defaults(func=cmd_render)


def cmd_render(args: argparse.Namespace) -> int:
    run = Path(args.run_dir)
    history = read_history(args.run_dir)
    out = Path(args.out) if args.out else run / f"animation.{args.format or 'gif'}"
    start = time.perf_counter()
    path = render(history, out, format=args.format, fps=args.fps, **frame_of(args),
                  member=args.member, panels=panel_list(args.panels) if args.panels else None,
                  max_frames=args.frames, look=look_of(args), timing=args.timing,
                  holds=parse_holds(args.hold) if args.hold else None,
                  captions=parse_captions(args.caption))
    print(printable(f"wrote {path} in {time.perf_counter() - start:.1f} s"))
    return 0


def figure_command(sub: argparse._SubParsersAction) -> None:
    """``toygan figure`` and its options."""
    figure = sub.add_parser(
        "figure", help="a still figure of chosen steps for a slide or a paper: PDF, SVG or PNG",
        description="Draw chosen training steps of a saved run side by side (a column per step, the "
                    "panels stacked in each, one legend), without training. PDF and SVG are vector "
                    "files; the same run and options give the same bytes.")
    figure.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by toygan train")
    figure.add_argument("--steps", help="comma-separated training steps, left to right, up to 8; the "
                                        "nearest recorded snapshot shows each (default: first, "
                                        "middle and last snapshot)")
    figure.add_argument("--out", help="output file .pdf, .svg or .png (default: RUN_DIR/figure.pdf)")
    figure.add_argument("--format", choices=list(STILL_FORMATS),
                        help="pdf, svg or png (default: from --out's suffix; without --out: pdf)")
    figure.add_argument("--panels", help="comma-separated panels, top to bottom (default: as render)")
    figure.add_argument("--member", type=int, default=0, help="ensemble member to show")
    figure.add_argument("--width", type=int,
                        help="width in pixels; a PDF or SVG is width / dpi inches wide (default: 320 "
                             "per step, at least 960)")
    look_options(figure)
    figure.set_defaults(func=cmd_figure)


def cmd_figure(args: argparse.Namespace) -> int:
    history = read_history(args.run_dir)
    out = Path(args.out) if args.out else Path(args.run_dir) / f"figure.{args.format or 'pdf'}"
    steps = [_whole(item, "--steps") for item in args.steps.split(",")] if args.steps else None
    start = time.perf_counter()
    path = still(history, out, steps=steps, format=args.format, width=args.width, member=args.member,
                 panels=panel_list(args.panels) if args.panels else None, look=look_of(args))
    print(printable(f"wrote {path} in {time.perf_counter() - start:.1f} s"))
    return 0


def _whole(text: str, flag: str) -> int:
    try:
        return int(text.strip().replace("_", ""))
    except ValueError:
        raise ToyganError(f"{flag}: {text.strip()!r} is not a whole number; give steps as in "
                          "0,500,3000") from None


def compare_command(sub: argparse._SubParsersAction) -> None:
    """``toygan compare`` and its options."""
    compare = sub.add_parser(
        "compare", help="render runs side by side, synchronised by step",
        description="Render two or more saved runs side by side (columns), the same training step "
                    "in every column; or, with --seeds, every seed of one ensemble run.")
    compare.add_argument("runs", nargs="+", metavar="RUN_DIR[@MEMBER]",
                         help="folders written by toygan train; @I picks ensemble member I")
    compare.add_argument("--out", required=True, help="output file; its suffix gives the format")
    compare.add_argument("--labels", help="comma-separated column headings (default: folder and loss)")
    compare.add_argument("--seeds", action="store_true",
                         help="one column per seed of the run(s) (small multiples, up to 16)")
    compare.add_argument("--panels", default="samples",
                         help="comma-separated panels, top to bottom (default: samples)")
    compare.add_argument("--overlay", action="store_true",
                         help="draw the curve panels once, every run's lines on one axes (a line style "
                              "per run), beside a row of the runs' maps (2 to 4 runs)")
    caption_option(compare)
    output_options(compare, fps=12)
    compare.set_defaults(func=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    columns = []
    for item in args.runs:
        run, _, member = item.partition("@")
        if member and not member.isdigit():
            raise ToyganError(f"run {item!r}: the member after @ must be a whole number, as in "
                              "runs/r@2")
        history = read_history(run)
        if args.seeds:
            columns += seeds(history)
        else:
            columns.append(Column(history, "", int(member or 0)))
    labels = [label.strip() for label in args.labels.split(",")] if args.labels else []
    if not all(label.isprintable() for label in labels):
        raise ToyganError(f"--labels {args.labels!r}: holds control characters; give printable text")
    if labels and len(labels) != len(columns):
        raise ToyganError(f"--labels {args.labels!r}: {len(labels)} labels for {len(columns)} runs")
    if not args.seeds:
        names = labels or [f"{item} ({c.history.config.train.loss})"
                           for item, c in zip(args.runs, columns, strict=True)]
        columns = [Column(c.history, name, c.member) for c, name in zip(columns, names, strict=True)]
    out = Path(args.out)
    start = time.perf_counter()
    path = compare(columns, out, panels=panel_list(args.panels), format=args.format, fps=args.fps,
                   **frame_of(args), max_frames=args.frames, look=look_of(args),
                   captions=parse_captions(args.caption), overlay=args.overlay)
    print(printable(f"wrote {path} in {time.perf_counter() - start:.1f} s"))
    return 0


def read_history(run_dir: str) -> History:
    """RUN_DIR's history, or one line saying why there is none."""
    run = Path(run_dir)
    if not run.is_dir():
        raise ToyganError(f"RUN_DIR {str(run)!r}: no such folder")
    if not (run / HISTORY_FILE).is_file():
        raise ToyganError(f"RUN_DIR {str(run)!r}: not a toygan run (no {HISTORY_FILE}; make one with "
                          "toygan train)")
    return History.load(run / HISTORY_FILE)


def panel_list(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def look_of(args: argparse.Namespace):
    d_range = (0.0, 1.0)
    if getattr(args, "d_range", None):
        try:
            d_range = check_d_range(tuple(float(v) for v in args.d_range.split(",")))
        except (ValueError, ToyganError):
            raise ToyganError(f"--d-range {args.d_range}: give LOW,HIGH centred on 1/2, such as 0.3,0.7 "
                              "(default 0,1)") from None
    return Look(dpi=args.dpi, cmap=args.cmap, style=args.style, d_range=d_range)


def output_options(parser: argparse.ArgumentParser, fps: float, width: str = "960") -> None:
    """The options every drawing command shares: format, frame rate, size and look; ``width``
    says what the default width is."""
    parser.add_argument("--format", choices=list(FORMATS),
                        help="gif or mp4 animation, png filmstrip of 8 frames, or html: a "
                             "self-contained page with a player (default: from --out's suffix; "
                             "render without --out: gif)")
    parser.add_argument("--fps", type=float, default=fps, help=f"frames per second (default: {fps:g})")
    parser.add_argument("--width", type=int, help=f"width in pixels; the height follows (default: {width})")
    parser.add_argument("--size",
                        help="the frame's exact size for a screen or projector: 720p, 1080p, 4k or "
                             "WIDTHxHEIGHT; panels are laid out in rows to fill it, the smallest "
                             "text 1/40 of its height (instead of --width)")
    parser.add_argument("--frames", type=int, default=120,
                        help="at most this many frames, evenly spread over the run (default: 120)")
    look_options(parser)


def look_options(parser: argparse.ArgumentParser) -> None:
    """The options that set how a figure looks: text size, colour map, style."""
    parser.add_argument("--dpi", type=float,
                        help="text and line size (default: width / 9.6, the same picture at any width)")
    parser.add_argument("--cmap", default=D_CMAP,
                        help=f"colour map of D and D*, best diverging (default: {D_CMAP})")
    parser.add_argument("--style", choices=list(STYLES), default="light",
                        help="light or dark background (default: light)")
    parser.add_argument("--d-range", metavar="LOW,HIGH",
                        help="the values of D and D* the colour map spans, centred on 1/2, such as "
                             "0.3,0.7 for a D that stays near 1/2 (default: 0,1)")


def caption_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--caption", action="append", metavar="STEP:TEXT",
                        help="a line of text under the title from STEP on, until the next caption; "
                             "repeat for a story (e.g. --caption '0:D tilts' --caption '200:G follows')")


def frame_of(args: argparse.Namespace) -> dict:
    """``--width`` or ``--size``, as the drawing calls take them."""
    if args.size is not None and args.width is not None:
        raise ToyganError(f"--size {args.size} and --width {args.width}: give one of them (a size "
                          "sets the width and the height)")
    return {"width": 960 if args.width is None else args.width, "size": args.size}
