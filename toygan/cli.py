"""The ``toygan`` command: parse, call the API, report. Exit status: 0 done, 1 training diverged,
2 bad input (one line on stderr, no traceback), 130 interrupted."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import time
import tomllib
import warnings
from pathlib import Path

from toygan import runlock
from toygan.checkpoint import (CHECKPOINT_FILE, CONFIG_FILE, HISTORY_FILE, clear_leftovers, holds_run,
                               read_state)
from toygan.config import Config
from toygan.errors import ToyganError, ToyganNotice
from toygan.history import History
from toygan.methods import method_settings
from toygan.presets import PRESETS, preset_config
from toygan.render.animation import FORMATS
from toygan.render.captions import parse_captions
from toygan.render.dynamics import VIEWS
from toygan.render.panels import PANELS
from toygan.render.style import D_CMAP, STYLES
from toygan.render.timing import TIMINGS, parse_holds
from toygan.render.writers import STILL_FORMATS
from toygan.signals import STOP_SIGNALS
from toygan.sweep.backends import BACKENDS
from toygan.sweep.spec import SweepSpec
from toygan.validate import number, printable

__all__ = ["main"]

EXIT_DIVERGED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 1, 2, 130


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(printable(text), flush=True)


def _named_network(state: dict, name: str) -> bool:
    """Whether the checkpoint's config names a factory for ``name`` (model.generator = "m:f")."""
    try:
        return bool(tomllib.loads(state["initial_config"])["model"][name])
    except (KeyError, TypeError, tomllib.TOMLDecodeError):
        return False


def _set_value(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` with the value read as TOML (``5``, ``1e-4``, ``"hinge"`` or bare ``hinge``,
    ``my_nets:make_g``, ``[0.5, 0.9]``, ``{std = 0.1}``)."""
    key, sep, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not key:
        raise ToyganError(f"--set {text!r}: write KEY=VALUE, e.g. --set train.loss=hinge")
    try:
        parsed = tomllib.loads(f"v = {raw}")
        if list(parsed) != ["v"] or "\n" in raw:
            raise ToyganError(f"--set {text!r}: one KEY=VALUE per --set (the value is one line)")
        return key, parsed["v"]
    except RecursionError:
        raise ToyganError(f"--set {key}=...: arrays or tables nested too deeply to read") from None
    except tomllib.TOMLDecodeError:
        if raw and all(c.isalnum() or c in "-_.:" for c in raw):
            return key, raw  # a bare word is a name: train.loss=hinge, model.generator=my_nets:make_g
        raise ToyganError(f"--set {text!r}: {raw!r} is not a TOML value (a number, a \"string\", "
                          "true/false, [a list] or {a = table})") from None


def _overrides(args: argparse.Namespace) -> dict:
    """--set KEY=VALUE in order, then the shorthands --steps, --seed, --seeds and --device."""
    if getattr(args, "seeds", None) is not None and not 1 <= args.seeds <= 1024:
        raise ToyganError(f"--seeds {args.seeds}: must be an integer from 1 to 1024 (train.members)")
    out = dict(_set_value(item) for item in args.set or [])
    for flag, key in (("steps", "train.steps"), ("seed", "train.seed"), ("seeds", "train.members"),
                      ("device", "train.device")):
        if getattr(args, flag, None) is not None:
            out[key] = getattr(args, flag)
    return out


def _check_run_dir(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ToyganError(f"--out {str(out)!r}: exists and is not a folder")
    if (out / HISTORY_FILE).exists() and not force:
        raise ToyganError(f"--out {str(out)!r}: already holds a run; pass --force to overwrite it "
                          "or choose another folder")


def _prepare_run_dir(out: Path, force: bool) -> None:
    """Take the folder (a second writer is refused here) and, with ``--force``, clear the run it
    held: a new config must never stand beside an old history or checkpoint."""
    _check_run_dir(out, force)
    out.mkdir(parents=True, exist_ok=True)
    runlock.hold(out)
    clear_leftovers(out)  # a writer killed mid-save left its partial files: this one is the writer now
    for name in (CHECKPOINT_FILE, HISTORY_FILE, CONFIG_FILE):  # the checkpoint first: see load_run
        (out / name).unlink(missing_ok=True)


def _train_and_save(game, out: Path, args: argparse.Namespace) -> tuple[History, int]:
    """Run ``game`` on to its end and save it into ``out`` (config, history and the state, which
    ``--resume`` continues from); return the history and the exit status."""
    from toygan.signals import CtrlC

    t = game.config.train
    span = (f"from step {game.iteration:,} to step {t.steps:,}" if game.iteration
            else f"for {t.steps:,} steps")
    start = time.perf_counter()
    with CtrlC():  # from the announcement on, Ctrl-C stops at the end of a step and keeps it all
        _say(args, f"training a {t.loss} GAN on {game.config.data.name} {span} "
                   f"(seed {t.seed}, batch {t.batch_size}, k = {t.d_steps})")
        try:
            game.run(progress=not args.quiet)
        except KeyboardInterrupt:  # a second Ctrl-C after the loop had stopped: its state is whole
            game.interrupt(f"training interrupted at step {game.iteration}")
    _save(game, out)
    history = game.history
    status = 0
    if history.status == "diverged":
        print(printable(f"toygan: {history.message}"), file=sys.stderr)
        status = EXIT_DIVERGED
    elif history.status == "interrupted":
        status = EXIT_INTERRUPTED
        if (out / CHECKPOINT_FILE).is_file():
            print(printable(f"toygan: {history.message}; saved {out / CHECKPOINT_FILE}; continue with: "
                            f"toygan train --resume {out}"), file=sys.stderr)
        else:
            print(printable(f"toygan: {history.message}"), file=sys.stderr)
    done = "trained in" if history.status == "completed" else f"{history.status} after"
    files = [str(out / CONFIG_FILE), f"{out / HISTORY_FILE} ({_count(history.n_snapshots, 'snapshot')})"]
    if (out / CHECKPOINT_FILE).is_file():  # none after a step cut short by a second signal
        files.append(str(out / CHECKPOINT_FILE))
    _say(args, f"{done} {time.perf_counter() - start:.1f} s; saved {', '.join(files[:-1])} and {files[-1]}")
    if history.evaluation:
        _say(args, _evaluation_line(history.evaluation))
    return history, status


def _evaluation_line(evaluation: dict) -> str:
    """The final evaluation in one line: each metric's mean over the members."""
    import math

    from toygan.stats import mean_se  # (scipy: imported when a run is done, not at start-up)

    def mean(name: str) -> str:
        value = mean_se([math.nan if v is None else v for v in evaluation["metrics"][name]])[0]
        return "–" if value is None else f"{value:.3g}"

    shown = [name for name in evaluation["metrics"] if name != "kde_bandwidth"]
    members = len(next(iter(evaluation["metrics"].values()), []))
    over = f", mean of {members} seeds" if members > 1 else ""
    return (f"evaluation on {evaluation['n_samples']:,} samples{over}: "
            + ", ".join(f"{name} {mean(name)}" for name in shown))


def _save(game, out: Path) -> None:
    """Save the run; if that fails (a full disk), a new run's config.toml, written at its start,
    is removed too: a folder never looks like a run that is not there."""
    try:
        game.save(out)
    except OSError as err:
        if holds_run(out):  # --resume: the previous save stands, as the error says
            raise
        (out / CONFIG_FILE).unlink(missing_ok=True)
        why = os.strerror(err.errno) if err.errno else str(err)
        raise OSError(err.errno, f"{why}; the run could not be saved and nothing of it was kept "
                      f"(the config.toml written at its start was removed)", err.filename) from None


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _new_game(config: Config, out: Path, args: argparse.Namespace):
    from toygan.game import Game

    _check_run_dir(out, args.force)
    game = Game(config)  # every check of the config, its files and the machine: nothing written yet
    _prepare_run_dir(out, args.force)
    config.save(out / CONFIG_FILE)
    return game


def cmd_demo(args: argparse.Namespace) -> int:
    config = preset_config("ring").replace(**_overrides(args))
    out = Path(args.out)
    history, status = _train_and_save(_new_game(config, out, args), out, args)
    if status == EXIT_INTERRUPTED:
        return status
    from toygan.render import render

    # the frames go where the picture changes: the first steps, where D tilts and G's samples
    # leave the origin, play slowly; a quiet stretch passes quickly (and the GIF is smaller)
    path = render(history, out / "animation.gif", timing="changes")
    _say(args, f"wrote the animation: {path}")
    return status


def cmd_train(args: argparse.Namespace) -> int:
    if args.resume is not None:
        return _resume(args)
    if args.out is None:
        raise ToyganError("--out: name the run folder to write (or --resume RUN to continue one)")
    if args.config is not None:
        config = Config.load(args.config)
    else:
        config = preset_config(args.preset)
    config = config.replace(**_overrides(args))
    out = Path(args.out)
    _, status = _train_and_save(_new_game(config, out, args), out, args)
    if status == 0:
        _say(args, f"render it with: toygan render {args.out} --format gif")
    return status


def _resume(args: argparse.Namespace) -> int:
    from toygan.game import Game

    given = [flag for flag, value in (("--out", args.out), ("--seed", args.seed),
                                      ("--seeds", args.seeds), ("--device", args.device),
                                      ("--set", args.set))
             if value is not None]
    if given:
        raise ToyganError(f"--resume continues the run as it was configured (only --steps may "
                          f"raise its length); drop {', '.join(given)}")
    run = Path(args.resume)
    if run.is_dir():
        runlock.hold(run, "--resume")  # a run another process is writing is neither read nor written
    if not (run / CHECKPOINT_FILE).is_file():
        why = ("its last step was cut short (a second Ctrl-C), so only the history was kept"
               if (run / HISTORY_FILE).is_file() else "no toygan run there")
        raise ToyganError(f"--resume {str(run)!r}: no {CHECKPOINT_FILE} to continue from ({why})")
    state = read_state(run / CHECKPOINT_FILE)
    own = [k for k, v in state.get("own", {}).items() if v] if isinstance(state.get("own"), dict) else []
    own = [k for k in own if not _named_network(state, k)]  # a factory the config names is found
    if own:
        raise ToyganError(f"--resume {str(run)!r}: the run was played with your own "
                          f"{' and '.join(own)}; go on in Python: toygan.Game.load(RUN, "
                          f"{', '.join(f'{k}=...' for k in own)}).run()")
    game = Game.load(run)
    if args.steps is not None and game.status != "diverged":
        if args.steps < game.config.train.steps:
            raise ToyganError(f"--steps {args.steps}: with --resume it raises the run's length, "
                              f"which is {game.config.train.steps:,} steps (at step {game.iteration:,})")
        game.update({"train.steps": args.steps})  # a longer run, recorded as an event
    if game.status == "completed":
        raise ToyganError(f"--resume {str(run)!r}: the run is complete (step {game.iteration:,} of "
                          f"{game.config.train.steps:,}); nothing to continue (--steps N runs it "
                          "on to step N)")
    if game.status == "diverged":
        raise ToyganError(f"--resume {str(run)!r}: the run diverged ({game.message}); it cannot go on")
    _, status = _train_and_save(game, run, args)
    if status == 0:
        _say(args, f"render it with: toygan render {run} --format gif")
    return status


def _load_run(run_dir: str) -> History:
    run = Path(run_dir)
    if not run.is_dir():
        raise ToyganError(f"RUN_DIR {str(run)!r}: no such folder")
    if not (run / HISTORY_FILE).is_file():
        raise ToyganError(f"RUN_DIR {str(run)!r}: not a toygan run (no {HISTORY_FILE}; make one with "
                          "toygan train)")
    return History.load(run / HISTORY_FILE)


def _panel_list(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _look(args: argparse.Namespace):
    from toygan.render import Look
    from toygan.render.figure import check_d_range

    d_range = (0.0, 1.0)
    if getattr(args, "d_range", None):
        try:
            d_range = check_d_range(tuple(float(v) for v in args.d_range.split(",")))
        except (ValueError, ToyganError):
            raise ToyganError(f"--d-range {args.d_range}: give LOW,HIGH centred on 1/2, such as 0.3,0.7 "
                              "(default 0,1)") from None
    return Look(dpi=args.dpi, cmap=args.cmap, style=args.style, d_range=d_range)


def _output_options(parser: argparse.ArgumentParser, fps: float, width: str = "960") -> None:
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
    _look_options(parser)


def _look_options(parser: argparse.ArgumentParser) -> None:
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


def _caption_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--caption", action="append", metavar="STEP:TEXT",
                        help="a line of text under the title from STEP on, until the next caption; "
                             "repeat for a story (e.g. --caption '0:D tilts' --caption '200:G follows')")


def _frame(args: argparse.Namespace) -> dict:
    """``--width`` or ``--size``, as the drawing calls take them."""
    if args.size is not None and args.width is not None:
        raise ToyganError(f"--size {args.size} and --width {args.width}: give one of them (a size "
                          "sets the width and the height)")
    return {"width": 960 if args.width is None else args.width, "size": args.size}


def cmd_render(args: argparse.Namespace) -> int:
    from toygan.render import render

    run = Path(args.run_dir)
    history = _load_run(args.run_dir)
    out = Path(args.out) if args.out else run / f"animation.{args.format or 'gif'}"
    start = time.perf_counter()
    path = render(history, out, format=args.format, fps=args.fps, **_frame(args),
                  member=args.member, panels=_panel_list(args.panels) if args.panels else None,
                  max_frames=args.frames, look=_look(args), timing=args.timing,
                  holds=parse_holds(args.hold) if args.hold else None,
                  captions=parse_captions(args.caption))
    print(printable(f"wrote {path} in {time.perf_counter() - start:.1f} s"))
    return 0


def cmd_figure(args: argparse.Namespace) -> int:
    from toygan.render.still import still

    history = _load_run(args.run_dir)
    out = Path(args.out) if args.out else Path(args.run_dir) / f"figure.{args.format or 'pdf'}"
    steps = [_whole(item, "--steps") for item in args.steps.split(",")] if args.steps else None
    start = time.perf_counter()
    path = still(history, out, steps=steps, format=args.format, width=args.width, member=args.member,
                 panels=_panel_list(args.panels) if args.panels else None, look=_look(args))
    print(printable(f"wrote {path} in {time.perf_counter() - start:.1f} s"))
    return 0


def _whole(text: str, flag: str) -> int:
    try:
        return int(text.strip().replace("_", ""))
    except ValueError:
        raise ToyganError(f"{flag}: {text.strip()!r} is not a whole number; give steps as in "
                          "0,500,3000") from None


def cmd_compare(args: argparse.Namespace) -> int:
    from toygan.render import Column, compare, seeds

    columns = []
    for item in args.runs:
        run, _, member = item.partition("@")
        if member and not member.isdigit():
            raise ToyganError(f"run {item!r}: the member after @ must be a whole number, as in "
                              "runs/r@2")
        history = _load_run(run)
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
    path = compare(columns, out, panels=_panel_list(args.panels), format=args.format, fps=args.fps,
                   **_frame(args), max_frames=args.frames, look=_look(args),
                   captions=parse_captions(args.caption), overlay=args.overlay)
    print(printable(f"wrote {path} in {time.perf_counter() - start:.1f} s"))
    return 0


def cmd_dirac(args: argparse.Namespace) -> int:
    from toygan.render.dirac import parse_runs
    from toygan.render.dynamics import render_dirac

    runs = parse_runs(args.runs)
    settings = method_settings(d_steps=args.d_steps, consensus=args.consensus, sga_lambda=args.sga_lambda,
                               lookahead_k=args.lookahead_k, lookahead_alpha=args.lookahead_alpha)
    start = time.perf_counter()
    frame = _frame(args)
    if args.width is None and args.size is None:
        frame["width"] = None  # the animation's own: wide enough for its panels' titles
    path = render_dirac(args.out, runs, view=args.view, steps=args.steps, lr=args.lr, theta0=args.theta0,
                        psi0=args.psi0, format=args.format, fps=args.fps, **frame,
                        max_frames=args.frames, look=_look(args), settings=settings)
    print(printable(f"wrote {path} in {time.perf_counter() - start:.1f} s"))
    return 0


def cmd_animations(args: argparse.Namespace) -> int:
    from toygan.recipes import (
        build_all,
        check_build_folder,
        load_recipe,
        recipe_paths,
        record_results,
        write_gallery,
    )

    folder = _recipes_folder(args.recipes)
    paths = {path.stem: path for path in recipe_paths(folder)}
    if not paths:
        raise ToyganError(f"--recipes {str(folder)!r}: no recipe files (*.toml) there")
    only = [n.strip() for n in args.only.split(",")] if args.only is not None else []
    if args.only is not None and not all(only):
        raise ToyganError(f"--only {args.only!r}: name recipes, comma-separated (or leave --only out "
                          "for all)")
    asked = [*args.names, *only]
    chosen = asked or list(paths)
    for option in ("out", "size", "format", "jobs", "retrain", "gallery"):
        if args.action != "build" and getattr(args, option) is not None:
            raise ToyganError(f"--{option}: only 'animations build' takes it; 'animations "
                              f"{args.action}' only prints")
    unknown = [n for n in chosen if n not in paths]
    if unknown:
        raise ToyganError(f"recipe {unknown[0]!r}: there is no such recipe; choose from {list(paths)}")
    if args.action == "show":  # the file as it is (even one that does not load), to copy and change
        if not asked:
            raise ToyganError(f"animations show: name the recipe to print, e.g. 'toygan animations "
                              f"show {next(iter(paths))}'")
        for name in chosen:
            print(paths[name].read_text(encoding="utf-8"), end="")
        return 0
    recipes = [load_recipe(path) for path in paths.values()]  # all checked before any work
    if args.action == "list":
        for r in recipes:
            if r.name in chosen:
                print(printable(f"{r.name:<28} {r.title}"))
        return 0
    _check_jobs(args.jobs)
    if args.size is not None:
        from toygan.render.figure import frame_size

        frame_size(args.size)  # a bad size is refused before any training
    out = Path(args.out or "toygan-gallery")
    todo = [r for r in recipes if r.name in chosen]
    check_build_folder(todo, out, args.gallery or None)  # nothing a build would spoil, before any work
    out.mkdir(parents=True, exist_ok=True)
    jobs = args.jobs or len(os.sched_getaffinity(0))
    _quiet_pool()
    total, failed = time.perf_counter(), []
    for built, lines in build_all(todo, out, size=args.size, format=args.format or "gif",
                                  retrain=bool(args.retrain), jobs=jobs):
        record_results(out, built)  # before its lines, which say it is built
        print("\n".join(lines), flush=True)
        failed += [built.recipe.name] * (not built.holds)
    docs = Path(args.gallery) if args.gallery else None
    write_gallery(recipes, out, docs)
    print(f"built {len(todo)} recipe(s) in {time.perf_counter() - total:.0f} s on {min(jobs, len(todo))} "
          f"process(es); gallery: {out / 'README.md'}" + (f" and {docs}" if docs else ""))
    if failed:
        print(f"toygan: the claims of {', '.join(sorted(set(failed)))} did not hold in this build",
              file=sys.stderr)
        return 1
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from toygan.sweep import load_spec, run_sweep
    from toygan.sweep.results import compare, read_rows
    from toygan.sweep.run import check_memory

    spec = load_spec(args.spec, device=args.device)  # every configuration is checked first
    if args.compare:
        args.compare = _compared(args.compare, spec)
    if args.plan:
        print(spec.table())
        return 0
    if not args.out:
        raise ToyganError("--out is required (the sweep folder), unless --plan")
    number("--timeout", args.timeout, 0, 3600)
    if args.address is None:  # before the announcement: a sweep that cannot fit is one line
        check_memory(spec, args.workers)
    out = Path(args.out)
    _quiet_pool()
    start = time.perf_counter()
    with _signals_interrupt():  # before the announcement, which tells a caller the work started
        try:
            _say(args, f"sweep: {spec.table().splitlines()[0].rstrip(':')} on {args.backend}"
                       + (f" at {args.address}" if args.address else f" with {args.workers} worker(s)"))
            run_sweep(spec, out, backend=args.backend, workers=args.workers, address=args.address,
                      timeout=args.timeout, progress=not args.quiet, force=args.force,
                      report=None if args.quiet else lambda line: print(line, file=sys.stderr))
            status = _sweep_outcome(args, spec, out, time.perf_counter() - start)
            if args.compare and status == 0:
                print(compare(spec, out, *args.compare))
            return status
        except KeyboardInterrupt:
            done = sum(read_rows(out / "tasks" / t.id, spec.seeds) is not None for t in spec.tasks)
            print(f"toygan: sweep interrupted: {done} of {len(spec.tasks)} configurations done and "
                  "tabulated; run the same command again to train the rest", file=sys.stderr)
            return EXIT_INTERRUPTED


def _compared(text: str, spec: SweepSpec) -> tuple[str, object, object]:
    """``KEY=A,B`` (each value read as --set reads one) → (key, a, b), checked against the spec."""
    from toygan.sweep.results import check_arms

    key, sep, pair = text.partition("=")
    arms = pair.split(",")
    if not sep or not key.strip() or len(arms) != 2 or not all(arm.strip() for arm in arms):
        raise ToyganError(f"--compare {text!r}: write KEY=A,B, e.g. --compare train.loss=saturating,"
                          "non-saturating")
    a, b = (_set_value(f"{key}={arm}")[1] for arm in arms)
    check_arms(spec, key.strip(), a, b)  # before any training
    return key.strip(), a, b


def _sweep_outcome(args: argparse.Namespace, spec: SweepSpec, out: Path, seconds: float) -> int:
    """The sweep's closing lines: where its tables are, what failed, what is not done."""
    from toygan.sweep import read_summary
    from toygan.sweep.results import summary_table

    _say(args, f"done in {seconds:.0f} s: {out / 'summary.md'}, {out / 'summary.csv'}, {out / 'rows.csv'}, "
               f"{out / 'plots'}")
    summary = read_summary(out) if (out / "summary.json").is_file() else []
    if summary:
        _say(args, summary_table(summary).rstrip())
    failed = [e["label"] for e in summary if e["failed"]]
    if failed:
        print(f"toygan: {len(failed)} of {len(spec.tasks)} configurations failed for some seeds "
              f"({', '.join(failed[:3])}{', ...' if len(failed) > 3 else ''}): see the error column "
              f"of {out / 'rows.csv'}", file=sys.stderr)
    if len(summary) < len(spec.tasks):
        print(f"toygan: {len(spec.tasks) - len(summary)} of {len(spec.tasks)} configurations are "
              "not done; run the same command again to train them", file=sys.stderr)
        return 1
    return 0


def cmd_live(args: argparse.Namespace) -> int:
    import ipaddress
    import secrets
    import signal

    from toygan.live.server import LiveServer, make_app, needs_token, open_socket
    from toygan.live.session import LiveSession, save_folder

    if not 0 <= args.port <= 65535:
        raise ToyganError(f"--port {args.port}: must be from 0 (any free port) to 65535")
    config = Config.load(args.config) if args.config is not None else preset_config(args.preset)
    config = config.replace(**_overrides(args))
    out = save_folder(Path(args.out), "--out")
    sock = open_socket(args.host, args.port)  # a taken port is said before any training
    try:
        session = LiveSession(config, out=out, panels=args.panels, width=args.width, speed=args.speed)
    except BaseException:  # (a bad setting, or a stop signal while the first frame is drawn)
        sock.close()
        raise
    token = secrets.token_urlsafe(16) if needs_token(args.host) else None
    host, port = sock.getsockname()[:2]
    if ipaddress.ip_address(host).is_unspecified:  # every address: the teacher steers from here
        host = "127.0.0.1"
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{port}/" + (f"?token={token}" if token else "")

    watch = f"http://{_network_address()}:{port}/?watch" if token else None

    def ready() -> None:
        print(f"toygan live: {url}", flush=True)
        if token:
            print(f"toygan live: shared on the network; students open {watch} (the frame alone; no "
                  "token: they watch, you steer)", flush=True)
        print("toygan live: Ctrl-C stops the server (the session is saved first if it changed)", flush=True)
        if not args.no_browser:
            _open_browser(url)

    server = LiveServer(make_app(session, token, on_ready=ready, host=args.host, watch=watch))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        # the last save runs to its end whatever signal comes now: the game is what was shown
        previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in STOP_SIGNALS}
        try:
            session.stop()  # within seconds, a slow control in flight cut short
            if session.failure:
                print(f"toygan: error: the live session stopped: {session.failure}", file=sys.stderr)
            saved = _save_session(session)
            session.close()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return 0 if saved and not session.failure else EXIT_DIVERGED


def _network_address() -> str:
    """This machine's address on its network, as students' machines reach it (a name they may not
    resolve is no use to them); its host name if it has no route out."""
    import socket

    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))  # (UDP: nothing is sent; the route picks the address)
        return probe.getsockname()[0]
    except OSError:
        return socket.gethostname()
    finally:
        probe.close()


def _save_session(session) -> bool:
    """Save the session's game if it moved since its last save; False if that failed (said)."""
    try:
        note = session.save_last()
        if note:
            print(printable(f"toygan live: {note}"), flush=True)
        return True
    except ToyganError as err:
        print(f"toygan: error: could not save the session: {err}", file=sys.stderr)
        return False


def _open_browser(url: str) -> None:
    """The default browser on ``url``, where there is a desktop to show it on (on a bare terminal
    a text browser would take over the terminal)."""
    import webbrowser

    if sys.platform in ("darwin", "win32") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        webbrowser.open(url)


def cmd_check(args: argparse.Namespace) -> int:

    from toygan.check import RECIPE_PREFIX, as_json, choose, entries, header, row, run

    if args.seeds is not None and not 1 <= args.seeds <= 1024:
        raise ToyganError(f"--seeds {args.seeds}: must be an integer from 1 to 1024")
    _check_jobs(args.jobs)
    folder = _recipes_folder(args.recipes)
    known = entries(folder)
    chosen = [known[name] for name in choose(args.claims, known)]
    if not args.claims and not args.json and not any(n.startswith(RECIPE_PREFIX) for n in known):
        print(f"toygan check: no recipe files in {str(folder)!r}, so no recipe claims (--recipes DIR)")
    if args.list:
        width = max(len(e.name) for e in chosen)
        for e in chosen:
            print(f"{e.name:<{width}}  {'quick' if e.quick else 'full ':<5}  {e.statement} ({e.source})")
        return 0
    if args.quick and not any(e.quick for e in chosen):
        raise ToyganError(f"--quick: skips every claim chosen ({', '.join(e.name for e in chosen)}); "
                          "run them without --quick")
    jobs = args.jobs or min(os.cpu_count() or 1, 2)
    _quiet_pool()
    width = max(len(e.name) for e in chosen)
    start, outcomes = time.perf_counter(), []
    with _signals_interrupt():  # before the header, which tells a caller that the work started
        if not args.json:
            print(header(width), flush=True)
        for outcome in run(chosen, seeds=args.seeds, quick=args.quick, jobs=jobs):
            outcomes.append(outcome)
            if not args.json:
                print(row(outcome, width), flush=True)
    seconds = time.perf_counter() - start
    ran = [o for o in outcomes if not o.skipped]
    failed = [o.name for o in ran if not o.holds]
    if args.json:
        print(as_json(outcomes, seconds))
    else:
        skipped = len(outcomes) - len(ran)
        print(f"{len(ran) - len(failed)} of {len(ran)} claims hold"
              + (f" ({skipped} skipped by --quick)" if skipped else "")
              + f" in {seconds:.0f} s on {jobs} process(es)"
              + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def _quiet_pool() -> None:
    """Keep a process pool's warnings on a stop mid-run out of the one line the stop prints: joblib's
    that the tasks still running were cancelled, and the resource tracker's of semaphores "leaked"
    (the tracker is a process of its own, started with the warning filters of the environment)."""
    warnings.filterwarnings("ignore", message=r".*tasks which were still being processed",
                            category=UserWarning, module="joblib")
    quiet = "ignore:resource_tracker:UserWarning"
    given = os.environ.get("PYTHONWARNINGS", "")
    if quiet not in given.split(","):
        os.environ["PYTHONWARNINGS"] = f"{given},{quiet}" if given else quiet


@contextlib.contextmanager
def _signals_interrupt():
    """SIGTERM and SIGHUP stop like Ctrl-C: a KeyboardInterrupt, so that worker processes are
    shut down on the way out and the command ends with one line (exit 130)."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in STOP_SIGNALS if sig != signal.SIGINT}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)



def cmd_presets(args: argparse.Namespace) -> int:
    width = max(map(len, PRESETS))
    for name, preset in PRESETS.items():
        print(f"{name:<{width}}  {preset.summary}")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line like every other bad-input message (no usage block)."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"toygan: error: {printable(message)} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="toygan", description="Train small GANs on 2D toy data and animate the minimax game.")
    from toygan import __version__

    parser.add_argument("--version", action="version", version=f"toygan {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = (_demo_command, _train_command, _render_command, _figure_command, _compare_command,
                _dirac_command, _animations_command, _sweep_command, _live_command, _check_command,
                _presets_command)
    for add in commands:  # in the order --help lists them
        add(sub)
    return parser


def _common_options(p: argparse.ArgumentParser) -> None:
    """The options of the commands that train: config fields, steps, seeds, device, output."""
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="set a config field, e.g. --set train.loss=hinge (repeatable; the "
                        "value is read as TOML; see docs/config.md)")
    p.add_argument("--steps", type=int, help="generator steps (overrides the config)")
    p.add_argument("--seed", type=int, help="random seed (overrides the config)")
    p.add_argument("--seeds", type=int, metavar="N",
                   help="train N seeds (seed, seed+1, ...) at once as one batched ensemble")
    p.add_argument("--device", choices=["cpu", "cuda", "auto"],
                   help="where to train (overrides the config; auto: cuda if there is one)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or messages")
    p.add_argument("--force", action="store_true", help="overwrite a run already in --out")


def _demo_command(sub: argparse._SubParsersAction) -> None:
    """``toygan demo`` and its options."""
    demo = sub.add_parser("demo", help="train on the ring of 8 Gaussians and write a GIF (~20 s)",
                          description="Train the 'ring' preset and write OUT/animation.gif.")
    demo.add_argument("--out", default="toygan-demo", help="run folder (default: ./toygan-demo)")
    _common_options(demo)
    demo.set_defaults(func=cmd_demo)


def _train_command(sub: argparse._SubParsersAction) -> None:
    """``toygan train`` and its options."""
    train = sub.add_parser("train", help="train a preset or a TOML config and save the run",
                           description="Train and save OUT/config.toml and OUT/history.npz. Ctrl-C "
                                       "stops at the end of the current step and also saves "
                                       "OUT/checkpoint.pt; --resume OUT continues from it.")
    source = train.add_mutually_exclusive_group(required=True)
    source.add_argument("--preset", help=f"one of: {', '.join(PRESETS)}")
    source.add_argument("--config", help="a TOML config file (see docs/config.md)")
    source.add_argument("--resume", metavar="RUN",
                        help="continue a stopped run from RUN/checkpoint.pt, exactly (with "
                             "--steps N: on to step N, also a finished run)")
    train.add_argument("--out", help="run folder to write (required unless --resume)")
    _common_options(train)
    train.set_defaults(func=cmd_train)


def _render_command(sub: argparse._SubParsersAction) -> None:
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
    _caption_option(render)
    _output_options(render, fps=12)
    render.set_defaults(func=cmd_render)


def _figure_command(sub: argparse._SubParsersAction) -> None:
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
    _look_options(figure)
    figure.set_defaults(func=cmd_figure)


def _compare_command(sub: argparse._SubParsersAction) -> None:
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
    _caption_option(compare)
    _output_options(compare, fps=12)
    compare.set_defaults(func=cmd_compare)


def _dirac_command(sub: argparse._SubParsersAction) -> None:
    """``toygan dirac`` and its options."""
    dirac = sub.add_parser(
        "dirac", help="animate Dirac-GAN trajectories (Mescheder et al. 2018) side by side",
        description="Animate the Dirac-GAN parameter plane: the vector field and one trajectory per "
                    "run, the runs in a grid; or the spectrum of each run's step (--view). A .pdf "
                    "or .svg --out is a still of the last frame. Variants: gan, nsgan, wgan, wgan-gp, r1, instance-noise, and the small "
                    "games bilinear, non-nash, impossible; methods: continuous (the flow), "
                    "alternating, simultaneous, consensus, extragradient, optimistic, sga, cgd, "
                    "hamiltonian.")
    dirac.add_argument("--out", default="dirac.gif", help="output file (default: ./dirac.gif)")
    dirac.add_argument("--runs", default="gan:simultaneous,gan:alternating,r1:simultaneous:0.3",
                       help="comma-separated variant:method[:gamma] (default: "
                            "gan:simultaneous,gan:alternating,r1:simultaneous:0.3)")
    dirac.add_argument("--view", choices=VIEWS, default="trajectories",
                       help="trajectories: each run's path over the field; spectrum: the eigenvalues "
                            "of each run's step at (0, 0) as the step size grows to --lr, with the "
                            "unit circle; radius: spectral radius against step size, every run on "
                            "one plot (default: trajectories)")
    dirac.add_argument("--d-steps", type=int, default=1,
                       help="k: D steps per G step of alternating runs (default: 1)")
    dirac.add_argument("--consensus", type=float, default=0.0,
                       help="γ of consensus optimisation, for consensus runs (0: 0.3) and added to "
                            "simultaneous, extragradient and optimistic ones (default: 0)")
    dirac.add_argument("--sga-lambda", type=float, default=1.0, help="λ of sga runs (default: 1)")
    dirac.add_argument("--lookahead-k", type=int, default=0,
                       help="Lookahead-minmax around every run: average every k steps (default: 0, off)")
    dirac.add_argument("--lookahead-alpha", type=float, default=0.5,
                       help="α of Lookahead-minmax (default: 0.5)")
    dirac.add_argument("--steps", type=int, default=500, help="iterations (default: 500)")
    dirac.add_argument("--lr", type=float, default=0.1, help="step size h (default: 0.1)")
    dirac.add_argument("--theta0", type=float, default=1.0, help="starting θ (default: 1)")
    dirac.add_argument("--psi0", type=float, default=1.0, help="starting ψ (default: 1)")
    _output_options(dirac, fps=20, width="400 a column of the grid, at least 960")
    dirac.set_defaults(func=cmd_dirac)


def _animations_command(sub: argparse._SubParsersAction) -> None:
    """``toygan animations`` and its options."""
    animations = sub.add_parser(
        "animations", help="build the recipe library: every animation and its measured claim",
        description="build: train each recipe (toygan's own, or those in --recipes; seeds as one "
                    "batched ensemble), measure its claims over the seeds, draw the seed nearest "
                    "the median of the checks among those where every check holds, and write the "
                    "animations, results.json and a gallery page (README.md) into --out. The "
                    "histories are kept in OUT/histories: building again at another --size or "
                    "--format draws them without training. list: name and title of each recipe. "
                    "show NAME: print a recipe's file (to copy and change). "
                    "Exits 1 if a claim did not hold or no seed showed it.")
    animations.add_argument("action", choices=["build", "list", "show"])
    animations.add_argument("names", nargs="*", metavar="NAME",
                            help="recipes to build or show (default: all)")
    animations.add_argument("--recipes", metavar="DIR",
                            help="a folder of recipe files (default: toygan's own gallery)")
    animations.add_argument("--out",
                            help="folder to write (default: ./toygan-gallery)")
    animations.add_argument("--only", help="comma-separated recipe names, as NAME ... (default: all)")
    animations.add_argument("--size", help="frame size: 720p, 1080p, 4k or WIDTHxHEIGHT (default: "
                                           "each recipe's own: 1024x576 unless it names one)")
    animations.add_argument("--format", choices=["gif", "mp4", "html"],
                            help="animation format (default: gif)")
    animations.add_argument("--jobs", type=int, help="recipes built at once (default: one per core)")
    animations.add_argument("--retrain", action="store_true", default=None,
                            help="train again even where --out keeps the recipe's histories")
    animations.add_argument("--gallery", metavar="PAGE",
                            help="also write the gallery page here (e.g. docs/gallery.md)")
    animations.set_defaults(func=cmd_animations)


def _sweep_command(sub: argparse._SubParsersAction) -> None:
    """``toygan sweep`` and its options."""
    sweep = sub.add_parser(
        "sweep", help="train a grid of configurations × seeds and tabulate the statistics",
        description="Run a sweep spec (see docs/sweeps.md): every configuration is one task, its "
                    "seeds one batched ensemble; tasks already done in OUT are skipped, a failed "
                    "one is recorded and the others go on.")
    sweep.add_argument("spec", metavar="SPEC.toml", help="the sweep spec")
    sweep.add_argument("--out", help="sweep folder (re-running resumes it)")
    sweep.add_argument("--plan", action="store_true",
                       help="list the configurations (id, kind: grid, grid × cross or listed, label) "
                            "and exit without training")
    sweep.add_argument("--backend", choices=list(BACKENDS), default="joblib",
                       help="joblib: local processes (default); dask: a Dask cluster")
    sweep.add_argument("--address", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 "
                                         "(default: a local cluster of --workers processes)")
    sweep.add_argument("--workers", type=int, default=1, help="local processes (default: 1)")
    sweep.add_argument("--timeout", type=float, default=10.0,
                       help="seconds to wait for the Dask scheduler (default: 10)")
    sweep.add_argument("--device", choices=["cpu", "cuda", "auto"],
                       help="where the tasks train (overrides the spec's train.device)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar or messages")
    sweep.add_argument("--force", action="store_true",
                       help="run in a folder that holds another sweep")
    sweep.add_argument("--compare", metavar="KEY=A,B",
                       help="compare KEY = B with KEY = A in each pair of configurations that differ "
                            "in KEY alone: both arms and the paired difference over the same seeds, "
                            "its standard error and an exact sign-flip test (written to compare.md)")
    sweep.set_defaults(func=cmd_sweep)


def _live_command(sub: argparse._SubParsersAction) -> None:
    """``toygan live`` and its options."""
    live = sub.add_parser(
        "live", help="play and steer a GAN live in the browser (classroom mode)",
        description="Start a local web page that trains a GAN live: play, pause, step D or G alone, "
                    "change the loss or a learning rate, save what the class saw as a run that "
                    "`toygan render` animates. See docs/live.md.")
    live_source = live.add_mutually_exclusive_group()
    live_source.add_argument("--preset", default="ring", help=f"one of: {', '.join(PRESETS)} (default: ring)")
    live_source.add_argument("--config", help="a TOML config file (see docs/config.md)")
    live.add_argument("--set", action="append", metavar="KEY=VALUE",
                      help="set a config field, e.g. --set train.loss=hinge (repeatable)")
    live.add_argument("--seed", type=int, help="random seed (overrides the config)")
    live.add_argument("--host", default="127.0.0.1",
                      help="address to listen on (default: 127.0.0.1, this machine only; 0.0.0.0 lets "
                           "students watch, and controls then need the printed token)")
    live.add_argument("--port", type=int, default=8765, help="port (default: 8765; 0: any free one)")
    live.add_argument("--out", default="live-runs",
                      help="folder the Save button writes runs into (default: ./live-runs)")
    live.add_argument("--panels", default=None,
                      help="panels shown at start, comma-separated (changeable on the page; default: "
                           "samples,discriminator,convergence, or goodfellow,convergence,jsd for a 1D target)")
    live.add_argument("--width", type=int, default=960, help="frame width in pixels (default: 960)")
    live.add_argument("--speed", type=int, default=50,
                      help="iterations per frame at most; frames come 32 a second (default: 50, more than "
                           "a frame's time trains: full speed)")
    live.add_argument("--no-browser", action="store_true", help="do not open a browser")
    live.set_defaults(func=cmd_live)


def _check_command(sub: argparse._SubParsersAction) -> None:
    """``toygan check`` and its options."""
    check = sub.add_parser(
        "check", help="measure the theory claims and the recipes' claims; exit 0 if all hold",
        description="Measure toygan's theory claims (D* = p_data/(p_data + p_g), V(D*, G) = −log 4 "
                    "+ 2·JSD, D → D*, D → ½, the saturating gradient, the Dirac-GAN) and every "
                    "recipe's checks, over seeds. Prints claim, result, time and the values per "
                    "seed; exits 0 when every chosen claim holds, 1 when one does not.")
    check.add_argument("claims", nargs="*", metavar="CLAIM",
                       help="claims to run, by name or pattern (e.g. 'dirac-*', 'recipe:*'); "
                            "default: all")
    check.add_argument("--list", action="store_true", help="list the claims and exit")
    check.add_argument("--seeds", type=int, metavar="N",
                       help="seeds per claim (default: each claim's own; a recipe's checks then "
                            "ask for the same share of seeds)")
    check.add_argument("--quick", action="store_true",
                       help="the cheap claims only, with fewer seeds (under 2 minutes on 2 cores)")
    check.add_argument("--json", action="store_true", help="print the results as JSON")
    check.add_argument("--jobs", type=int, help="claims measured at once (default: 2, or 1 core)")
    check.add_argument("--recipes", metavar="DIR",
                       help="a folder of recipe files (default: toygan's own gallery)")
    check.set_defaults(func=cmd_check)


def _presets_command(sub: argparse._SubParsersAction) -> None:
    """``toygan presets`` and its options."""
    presets = sub.add_parser("presets", help="list the presets, one line each")
    presets.set_defaults(func=cmd_presets)

def _check_jobs(jobs: int | None) -> None:
    """A ToyganError if ``--jobs`` is given out of range (None: the command's default)."""
    if jobs is not None and not 1 <= jobs <= 256:
        raise ToyganError(f"--jobs {jobs}: must be an integer from 1 to 256")


def _recipes_folder(recipes: str | None) -> Path:
    """The folder of recipe files ``--recipes`` names, or toygan's own (None)."""
    from toygan.recipes import GALLERY

    if recipes is None:
        return GALLERY
    folder = Path(recipes)
    if not folder.is_dir():
        what = "is a file; give the folder of recipe files" if folder.exists() else "no such folder"
        raise ToyganError(f"--recipes {recipes!r}: {what}")
    return folder


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


if __name__ == "__main__":
    sys.exit(main())
